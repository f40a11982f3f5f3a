/**
 * The one pino root of a process, with secret redaction, and the adapter that routes the Temporal Runtime's
 * logger (workflow, activity, worker and core logs) into it.
 * @module
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

/** Paths pino censors wherever they appear in a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'taskToken', // the SDK adds the activity task token to activity log metadata
  '*.taskToken',
  'nse.auth.password',
  'nse.auth.token',
];

/** Creates the process's root logger; JSON lines on stdout, or to `destination` (tests pass a sink). */
export function createLogger(level: string, destination?: DestinationStream): PinoLogger {
  return pino(
    { level, base: { service: 'nse-flow' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapts pino to the SDK's `Logger` interface; SDK metadata (workflowId, runId, activityType, attempt) becomes fields. */
export function temporalLogger(root: PinoLogger): TemporalLogger {
  const child = root.child({ component: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    child[PINO_LEVEL[level]]({ ...meta }, message);
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
