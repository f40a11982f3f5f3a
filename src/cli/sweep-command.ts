/**
 * `nse-flow sweep`: one sweep now (what it found), the `nse-flow-sweep` Schedule (`--schedule`), or the undo of one
 * reported object (`--undo`).
 * @module
 */
import { msToNumber } from '@temporalio/common/lib/time';
import type { Command } from 'commander';
import { NotSweptError, RunFailedError, type SweepReport } from '../client';
import { isInvalidInput } from '../shared/entry-gate';
import { MAX_SWEEP_JOBS_PER_TENANT, MAX_SWEEP_WINDOW_MS, type SweepFinding, type SweepInput } from '../shared/sweep';
import { CliError, ExitCode, print, withClient, type GlobalOptions } from './common';

interface SweepOptions {
  tenant?: string[];
  since?: string;
  schedule?: string;
  undo?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** The shortest `--schedule` interval. */
const MIN_SCHEDULE_MS = 10 * 60 * 1000;

/** `--since 24h`, `--schedule 1h`: a duration as Temporal reads them (`90m`, `1 day`, milliseconds), within `maxMs`. */
function duration(option: string, value: string, maxMs = Number.MAX_SAFE_INTEGER): number {
  let ms: number;
  try {
    ms = msToNumber(/^\d+$/.test(value) ? Number(value) : (value as Parameters<typeof msToNumber>[0]));
  } catch {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms < 1000)
    throw new CliError(
      `${option} must be a duration of at least 1 second, such as 30m, 24h or 7d (got '${value}')`,
      ExitCode.Usage,
    );
  if (ms > maxMs) throw new CliError(`${option} must be at most ${maxMs / DAY_MS}d (got '${value}')`, ExitCode.Usage);
  return ms;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function findingLine(f: SweepFinding): string {
  const run = f.owner ? `run ${f.owner.workflowId} ended ${f.owner.status}` : 'no run owns its job';
  const undo = f.undoRun
    ? `; undo ${f.undoRun.workflowId}`
    : 'none' in f.undo
      ? `; nse-flow cannot undo it: ${f.undo.none}`
      : '';
  return `  ${f.resource} ${f.objectId} '${f.objectName}' (tenant ${f.tenantId}): job ${f.jobId} of ${f.jobCreated}, ${run}${undo}`;
}

/** What a person reads after a sweep. */
export function describeSweep(workflowId: string, report: SweepReport): string {
  const who = report.user.username ?? report.user.id ?? "the worker's NSE user";
  const lines = [
    `Sweep ${workflowId} read ${plural(report.createJobs, 'create job')} of ${who} since ${report.since} ` +
      `in ${plural(report.tenantIds.length, 'tenant')} (${report.tenantIds.join(', ')}).`,
  ];
  for (const tenant of report.truncated)
    lines.push(
      `Tenant ${tenant} has more than ${MAX_SWEEP_JOBS_PER_TENANT} jobs in the window: only the newest ` +
        `${MAX_SWEEP_JOBS_PER_TENANT} were read, older create jobs were not checked.`,
    );
  if (report.findings.length === 0) {
    lines.push(
      'Nothing left behind: every object of these jobs NSE still holds belongs to a completed or running run.',
    );
    return lines.join('\n');
  }
  lines.push(
    `${plural(report.findings.length, 'object')} NSE still holds that no completed run owns:`,
    ...report.findings.map(findingLine),
    `Undo one with: nse-flow sweep --undo <objectId>` +
      (report.openUntil ? ` (this sweep takes undos until ${report.openUntil})` : ''),
  );
  return lines.join('\n');
}

/** `sweep`. */
export function addSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('report the NSE objects no completed run owns (left by a terminated run, ...); never deletes')
    .option('--tenant <id>', 'sweep this tenant (repeatable; default: every tenant of the NSE user)', collect, [])
    .option('--since <duration>', 'read the create jobs of this last while (default 24h)')
    .option('--schedule <interval>', 'create or update the nse-flow-sweep Schedule: a sweep every <interval>')
    .option('--undo <objectId>', 'undo one object an open sweep reported, as a run of its own')
    .addHelpText(
      'after',
      '\nExamples:\n  nse-flow sweep --since 48h\n  nse-flow sweep --schedule 1h\n  nse-flow sweep --undo 5f1a00000000000000000abc',
    )
    .action(async (options: SweepOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      if (options.undo !== undefined && (options.schedule !== undefined || options.since !== undefined))
        throw new CliError('--undo takes no other option: it undoes what an open sweep reported', ExitCode.Usage);
      const input: SweepInput = {
        ...(options.tenant && options.tenant.length > 0 ? { tenantIds: options.tenant } : {}),
        ...(options.since === undefined ? {} : { windowMs: duration('--since', options.since, MAX_SWEEP_WINDOW_MS) }),
      };
      await withClient(async (client) => {
        if (options.undo !== undefined) {
          try {
            const { sweepId, undo } = await client.undoSweptObject(options.undo);
            print(
              global,
              { sweepId, ...undo },
              `Undoing ${options.undo} (reported by ${sweepId}) in run ${undo.workflowId}; ` +
                `follow it with: nse-flow result ${undo.workflowId}`,
            );
          } catch (err) {
            if (err instanceof NotSweptError) throw new CliError(err.message, ExitCode.Usage);
            throw err;
          }
          return;
        }
        if (options.schedule !== undefined) {
          const everyMs = duration('--schedule', options.schedule);
          if (everyMs < MIN_SCHEDULE_MS)
            throw new CliError(
              `--schedule must be at least 10m (got '${options.schedule}'): each sweep ends the one before it, ` +
                'which needs time to read',
              ExitCode.Usage,
            );
          const { created, description } = await client.scheduleSweep(everyMs, input);
          const next = description.info.nextActionTimes[0]?.toISOString();
          print(
            global,
            { scheduleId: description.scheduleId, created, everyMs, nextActionTimes: description.info.nextActionTimes },
            `${created ? 'Created' : 'Updated'} Schedule ${description.scheduleId}: a sweep every ${options.schedule}` +
              `${next ? `, next at ${next}` : ''}. Each sweep reads the create jobs since the last one (or --since), ` +
              'shows in the Web UI (NseSweepReported > 0) and takes undos until the next one starts (at most a ' +
              `day). Stop it with: temporal schedule delete --schedule-id ${description.scheduleId}`,
          );
          return;
        }
        const { workflowId, report } = await client.sweep(input);
        print(global, { workflowId, ...report }, describeSweep(workflowId, report));
      }).catch(explainFailure);
    });
}

/** A refused input is bad usage (exit 2); a sweep that failed says why and where to look (exit 1). */
function explainFailure(err: unknown): never {
  if (isInvalidInput(err)) throw new CliError((err as Error).message, ExitCode.Usage);
  if (err instanceof RunFailedError) {
    const code = err.failureType === 'InvalidInput' ? ExitCode.Usage : ExitCode.RunFailed;
    throw new CliError(`sweep ${err.workflowId} failed (${err.failureType ?? 'error'}): ${err.message}`, code);
  }
  throw err;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
