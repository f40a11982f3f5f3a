/**
 * Build step (`npm run build`, after `tsc`): bundles the workflow code once into `lib/workflow-bundle.js`, which
 * the worker loads when present (`PREBUILT_BUNDLE` in src/worker.ts) instead of running webpack at every start.
 * Usage: `node lib/scripts/bundle-workflows.js [outFile]`.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { LogMetadata, Logger } from '@temporalio/common';
import { workflowBundlerOptions } from '../bundler-options';

/** `lib/workflow-bundle.js` from both lib/scripts (compiled) and src/scripts (ts-node), as worker.ts resolves it. */
export const DEFAULT_OUT_FILE = path.resolve(__dirname, '..', '..', 'lib', 'workflow-bundle.js');

const ignore = (): void => undefined;
const toStderr = (message: string, meta?: LogMetadata): void => {
  process.stderr.write(`${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`);
};
/** webpack's progress stays quiet; its warnings and errors (with the failing module) still reach stderr. */
const quietLogger: Logger = {
  log: ignore,
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: toStderr,
  error: toStderr,
};

/** Bundles `workflowsPath` (default: the workflows next to this script) into `outFile`; returns the bundle size. */
export async function bundleWorkflows(
  outFile: string = DEFAULT_OUT_FILE,
  workflowsPath: string = require.resolve('../workflows'),
): Promise<number> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger, ...workflowBundlerOptions });
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return Buffer.byteLength(code);
}

if (require.main === module) {
  const outFile = path.resolve(process.argv[2] ?? DEFAULT_OUT_FILE);
  bundleWorkflows(outFile).then(
    (bytes) => {
      process.stdout.write(
        `workflow bundle: ${path.relative(process.cwd(), outFile)} (${Math.round(bytes / 1024)} KiB)\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`bundle-workflows: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
