/**
 * Build step (`npm run build`, after `tsc`): bundles the workflow code once into `lib/workflow-bundle.js`, which
 * the worker loads when present (`PREBUILT_BUNDLE` in src/worker.ts) instead of running webpack at every start.
 * Usage: `ts-node --transpile-only tools/bundle-workflows.ts [outFile]`. Build tooling: outside src/, so not in lib/.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import type { LogMetadata, Logger } from '@temporalio/common';
import { workflowBundlerOptions } from '../src/bundler-options';
import { FAILURE_CONVERTER_PATH } from '../src/codec/failure-converter';

/** `lib/workflow-bundle.js`, next to the compiled lib/worker.js, where worker.ts looks for it. */
export const DEFAULT_OUT_FILE = path.resolve(__dirname, '..', 'lib', 'workflow-bundle.js');

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

/** The bundle for workers with payload encryption: built with the failure converter that encrypts messages. */
export const ENCRYPTED_OUT_FILE = path.resolve(__dirname, '..', 'lib', 'workflow-bundle-encrypted.js');

/** Options of {@link bundleWorkflows}. */
interface BundleWorkflowsOptions {
  /** Workflow failures converted by src/codec/failure-converter.ts (for encrypting workers). */
  encryptedFailures?: boolean;
  /** Workflow interceptors, and a webpack hook applied after the project's (the tests' coverage bundle). */
  extra?: Pick<BundleOptions, 'workflowInterceptorModules' | 'webpackConfigHook'>;
}

/**
 * Bundles `workflowsPath` (default: the workflows next to this script) into `outFile`; returns the bundle size.
 */
export async function bundleWorkflows(
  outFile: string = DEFAULT_OUT_FILE,
  workflowsPath: string = require.resolve('../src/workflows'),
  options: BundleWorkflowsOptions = {},
): Promise<number> {
  const { extra } = options;
  const hooks = [workflowBundlerOptions.webpackConfigHook, extra?.webpackConfigHook].filter((hook) => !!hook);
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
    ...workflowBundlerOptions,
    ...(options.encryptedFailures ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {}),
    webpackConfigHook: (config) => hooks.reduce((hooked, hook) => hook(hooked), config),
    ...(extra?.workflowInterceptorModules ? { workflowInterceptorModules: extra.workflowInterceptorModules } : {}),
  });
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return Buffer.byteLength(code);
}

/** Builds the plain bundle at `outFile` and, with no `outFile` given, the encrypted-failures one beside it. */
async function buildBundles(outFile: string | undefined): Promise<void> {
  const targets: [string, boolean][] = outFile
    ? [[path.resolve(outFile), false]]
    : [
        [DEFAULT_OUT_FILE, false],
        [ENCRYPTED_OUT_FILE, true],
      ];
  for (const [file, encryptedFailures] of targets) {
    const bytes = await bundleWorkflows(file, undefined, { encryptedFailures });
    process.stdout.write(`workflow bundle: ${path.relative(process.cwd(), file)} (${Math.round(bytes / 1024)} KiB)\n`);
  }
}

if (require.main === module) {
  buildBundles(process.argv[2]).then(
    () => undefined,
    (err: unknown) => {
      process.stderr.write(`bundle-workflows: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
