/**
 * The one pino root of a process, with secret redaction, and the adapter that routes the Temporal Runtime's
 * logger (workflow, activity, worker and core logs) into it. Lines are JSON; on a terminal outside production
 * they are pretty-printed instead.
 * @module
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type * as PinoPretty from 'pino-pretty';
import { redactSecrets, scrubText } from './common/redact';
import { traceLogFields } from './tracing';

/** Whether {@link createLogger} pretty-prints: only on a terminal, and never with NODE_ENV=production. */
export function shouldPrettyPrint(
  stdout: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stdout.isTTY === true && env.NODE_ENV !== 'production';
}

/** pino-pretty on stdout, or undefined when it is not installed (it is a development dependency). */
function prettyStdout(): DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require('pino-pretty') as typeof PinoPretty.default;
    // One line per record, as a terminal reader scans them; `--print-config` shows the config the JSON line carries.
    return build({
      colorize: true,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service,config',
    });
  } catch {
    return undefined;
  }
}

/**
 * An error as a log field: pino's serialisation, then redacted like everything else (its message and stack may quote
 * a secret value).
 */
function serializeError(err: Error): unknown {
  // The serialised error has pino's own prototype; as plain JSON redaction walks it like any other field.
  return redactSecrets(JSON.parse(JSON.stringify(pino.stdSerializers.err(err))) as unknown);
}

/** One argument of a log call, redacted: messages are scrubbed, objects redacted by key, value and shape. */
function redactArgument(argument: unknown): unknown {
  if (typeof argument === 'string') return scrubText(argument);
  return argument instanceof Error ? argument : redactSecrets(argument);
}

/**
 * Creates the process's root logger: JSON lines on stdout (pretty on a development terminal), or to `destination`
 * (tests pass a sink). Every argument of every log call is redacted by src/common/redact.ts (the same rules as job
 * records and failure messages) before anything is written.
 */
export function createLogger(level: string, destination?: DestinationStream): PinoLogger {
  const stream =
    destination ?? (shouldPrettyPrint() ? prettyStdout() : undefined) ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: { service: 'nse-flow' },
      // trace_id and span_id of the active span when traces are on; a line's own fields win (the SDK's for a run).
      mixin: traceLogFields,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map(redactArgument) as Parameters<typeof method>);
        },
      },
      // The SDK passes failures as `error`; without a serializer an Error becomes `{}`.
      serializers: { err: serializeError, error: serializeError },
    },
    stream,
  );
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * SDK notices that describe nse-flow's design, not a problem: the NSE worker polls only for activities
 * (src/worker-pair.ts). At WARN they would alarm whoever reads the worker's start.
 */
const EXPECTED_BY_DESIGN = new Set([
  'No workflows registered, not polling for workflow tasks',
  'No Nexus services registered, not polling for Nexus tasks',
]);

/**
 * Adapts pino to the SDK's `Logger` interface; SDK metadata (sdkComponent, workflowId, runId, activityType, attempt)
 * becomes fields. Activity lines name their run `workflowRunId`; it is copied to `runId` so one field finds every
 * line of a run.
 */
export function temporalLogger(root: PinoLogger): TemporalLogger {
  const child = root.child({ component: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    if (EXPECTED_BY_DESIGN.has(message)) level = 'DEBUG';
    const fields: LogMetadata = { ...meta };
    if (fields.runId === undefined && typeof fields.workflowRunId === 'string') fields.runId = fields.workflowRunId;
    child[PINO_LEVEL[level]](fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
