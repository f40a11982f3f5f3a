/**
 * What every configuration loader of a process shares (the worker's src/config.ts, the client library's codec keys
 * in src/codec/config.ts): the typed error for a bad variable and reading a secret from a file.
 * @module
 */
import { readFileSync } from 'node:fs';

/** Raised for a bad variable; entry points print `message` alone and exit 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads a secret from `file` (trimmed); a read error names the variable, never the content. */
export function readSecretFile(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
