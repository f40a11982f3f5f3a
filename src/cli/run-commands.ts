/**
 * The `nse-flow` commands about runs: starting them (`run`, `provision`, `redrive`) and reading or steering
 * them (`list`, `jobs`, `status`, `result`, `cancel`, `decide`).
 * @module
 */
import type { Command } from 'commander';
import { Argument, Option } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { newRunId, NotRedrivableError } from '../client';
import { describeVersion, type RunBuild } from '../deployment';
import { NseClient } from '../nse/client';
import { NseError, NseHttpError } from '../nse/errors';
import { JobState, type Job } from '../shared/nse-types';
import { parseOperationFields } from '../shared/validation';
import { rootMessage } from '../shared/failures';
import { parsePlan } from '../shared/plans';
import { MAX_CONCURRENCY } from '../shared/bulk';
import { Phase, PollMode, type Decision, type OnFailure, type OperationInput } from '../shared/workflow-api';
import { describeProgress, table } from './format';
import { choiceOption } from './choice-option';
import { followRun, startRun, waitsOfStep } from './follow';
import { intOption, positiveInt } from './int-option';
import { printDryRun } from './dry-run';

import {
  CliError,
  ExitCode,
  parseJsonArgument,
  parseBulkFile,
  print,
  withClient,
  loadConfigOrFail,
  type ProvisionOptions,
  type GlobalOptions,
} from './common';

/** `run`, `provision`, `redrive`. */
export function addStartCommands(program: Command): void {
  program
    .command('run')
    .description('start one NSE operation as a durable workflow run')
    .argument('<operation>', 'catalogue name, see `nse-flow operations`')
    .requiredOption('--input <json|@file>', 'the operation fields as JSON, or @path to a JSON file', parseJsonArgument)
    .option('--tenant <id>', 'tenant that owns the job (used to find a job a lost submit created)')
    .option('--wait', 'follow the run until it ends')
    .option('--id <workflowId>', 'workflow id to use')
    .option('--idempotency-key <key>', 'same key, same run: a second start returns the first run')
    .addOption(new Option('--poll-mode <mode>', 'how the job is read').choices(Object.values(PollMode)))
    .option('--poll-interval <ms>', 'first wait between reads', positiveInt)
    .addOption(
      new Option('--on-failure <what>', 'a failed job is undone at once, or held for `nse-flow decide`').choices([
        'compensate',
        'hold',
      ]),
    )
    .option('--hold-timeout <ms>', 'with --on-failure hold: wait this long, then compensate', positiveInt)
    .option('--dry-run', 'print the NSE requests it would make, each with its undo; calls nothing, starts nothing')
    .addHelpText(
      'after',
      `\nExample:\n  nse-flow run create-bucket --input '{"name":"logs-2026","subtenant_id":"<id>"}' --wait`,
    )
    .action(async (operation: string, options: Record<string, unknown>, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      try {
        parseOperationFields(operation, options.input); // the workflow checks again; this gives exit code 2 early
      } catch (err) {
        throw new CliError((err as Error).message, ExitCode.Usage);
      }
      const input: OperationInput = { operation, input: options.input as Record<string, unknown> };
      if (typeof options.tenant === 'string') input.tenantId = options.tenant;
      if (options.pollMode || options.pollInterval) {
        input.poll = {};
        if (options.pollMode) input.poll.mode = options.pollMode as PollMode;
        if (options.pollInterval) input.poll.initialIntervalMs = options.pollInterval as number;
      }
      if (options.onFailure) input.onFailure = options.onFailure as OnFailure;
      if (options.holdTimeout) input.holdTimeoutMs = options.holdTimeout as number;
      if (options.dryRun) return printDryRun(global, { operation: input });
      const idempotencyKey = options.idempotencyKey as string | undefined;
      const workflowId = newRunId('op', operation, { workflowId: options.id as string | undefined, idempotencyKey });
      const startOptions = { workflowId, idempotencyKey };
      await startRun(global, Boolean(options.wait), (client) => client.startOperation(input, startOptions), {
        workflowId,
        idempotencyKey,
      });
    });

  program
    .command('provision')
    .description(
      'start a multi-step provisioning plan (steps run in order, undone newest first on failure), or with --each a ' +
        'bulk: one operation run per item',
    )
    .argument('[plan.json]', 'plan file, see examples/')
    .option('--each <items.json>', 'bulk file: defaults and items (docs/contract.md, Bulks), instead of a plan')
    .option('--max-concurrency <n>', 'bulk: items in flight at once', intOption(1, MAX_CONCURRENCY))
    .option('--tolerated-failure-percent <p>', 'bulk: fail once more than p% of items failed', intOption(0, 100))
    .option('--dry-run', 'print the NSE requests it would make, each with its undo; calls nothing, starts nothing')
    .option('--wait', 'follow the run until it ends')
    .option('--id <workflowId>', 'workflow id to use')
    .option('--idempotency-key <key>', 'same key, same run: a second start returns the first run')
    .addHelpText(
      'after',
      '\nExamples:\n  nse-flow provision examples/block-storage.json --idempotency-key order-1234 --wait' +
        '\n  nse-flow provision --each examples/bulk/hostgroups.json --max-concurrency 50 --wait' +
        '\n  nse-flow provision examples/block-storage.json --dry-run',
    )
    .action(async (file: string | undefined, options: ProvisionOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const idempotencyKey = options.idempotencyKey;
      if (options.each) {
        const bulk = parseBulkFile(options);
        if (options.dryRun) return printDryRun(global, { bulk });
        const workflowId = newRunId('bulk', bulk.name, { workflowId: options.id, idempotencyKey });
        const startOptions = { workflowId, idempotencyKey };
        const known = { workflowId, idempotencyKey };
        return await startRun(global, Boolean(options.wait), (client) => client.startBulk(bulk, startOptions), known);
      }
      if (!file) throw new CliError('provision: give a plan file, or --each <items.json>', ExitCode.Usage);
      let plan;
      try {
        plan = parsePlan(parseJsonArgument(`@${file}`));
      } catch (err) {
        throw new CliError((err as Error).message, ExitCode.Usage);
      }
      if (options.dryRun) return printDryRun(global, { plan });
      const workflowId = newRunId('plan', plan.name, { workflowId: options.id, idempotencyKey });
      const startOptions = { workflowId, idempotencyKey };
      const known = { workflowId, idempotencyKey };
      await startRun(global, Boolean(options.wait), (client) => client.startProvisioning(plan, startOptions), known);
    });

  program
    .command('redrive')
    .description("rerun a failed bulk or plan, or a completed bulk's failed items: reuse what was done, rerun the rest")
    .argument('<workflowId>')
    .option('--wait', 'follow the new run until it ends')
    .addHelpText('after', '\nExample:\n  nse-flow redrive nse-flow-bulk-hostgroups-1234 --wait')
    .action(async (workflowId: string, options: { wait?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await startRun(global, Boolean(options.wait), async (client) => {
        try {
          return await client.redrive(workflowId);
        } catch (err) {
          if (err instanceof NotRedrivableError) throw new CliError(err.message, ExitCode.Usage);
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new CliError(
              `${workflowId} was already redriven (once per failed run): see nse-flow status ${err.workflowId}`,
              ExitCode.Usage,
            );
          }
          throw err;
        }
      });
    });
}

/**
 * The build line of `status`: the worker build the run is on, named as the Web UI names it on the run's page
 * (Deployment, Build ID, Versioning Behavior), and what that means for the run, open or ended.
 */
function describeBuild(build: RunBuild | undefined, open: boolean): string {
  if (!build) {
    return open
      ? 'build: none (an unversioned worker runs it, or no worker has taken it yet)'
      : 'build: none (an unversioned worker ran it)';
  }
  const how = {
    PINNED: open ? 'pinned: it stays on this build until it ends' : 'pinned: it ran on this build from start to end',
    AUTO_UPGRADE: open
      ? 'auto-upgrade: it moves to the current build at its next step'
      : 'auto-upgrade: it ended on this build',
  };
  const line = `build: ${describeVersion(build)}`;
  return build.behavior ? `${line}, ${how[build.behavior]}` : line;
}

/** Temporal's execution statuses as visibility queries name them; `cancelled` is taken for `Canceled`. */
const RUN_STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'];
const runStatusOption = choiceOption(RUN_STATUSES, { cancelled: 'Canceled' });
const phaseOption = choiceOption(Object.values(Phase));
const JOB_STATES: string[] = Object.values(JobState);
const jobStateOption = choiceOption(JOB_STATES);
const GRPC_INVALID_ARGUMENT = 3;

interface ListOptions {
  status?: string;
  phase?: string;
  jobState?: string;
  job?: string;
  query?: string;
  limit: number;
}

/**
 * What `jobs` says when NSE does not answer the list: credentials it refuses (exit 2, naming the variables),
 * another refusal (exit 2), or no answer at all after retries (exit 3); each names the NSE address tried.
 */
function nseCliError(err: unknown, baseUrl: string): unknown {
  if (err instanceof NseHttpError && (err.status === 401 || err.status === 403)) {
    return new CliError(
      `NSE at ${baseUrl} refused the credentials (HTTP ${err.status}): check NSE_USERNAME and NSE_PASSWORD, or NSE_TOKEN`,
      ExitCode.Usage,
    );
  }
  if (err instanceof NseHttpError && !err.retryable)
    return new CliError(`NSE at ${baseUrl}: ${err.message}`, ExitCode.Usage);
  if (err instanceof NseError)
    return new CliError(`cannot reach NSE at ${baseUrl}: ${err.message}`, ExitCode.Unreachable);
  return err;
}

/** `list`, `jobs`, `status`, `result`, `cancel`, `decide`. */
export function addRunCommands(program: Command): void {
  program
    .command('list')
    .description('list runs through their search attributes (newest first)')
    .option('--status <runStatus>', `only runs in this status: ${RUN_STATUSES.join(', ')}`, runStatusOption)
    .option('--phase <phase>', `only runs in this phase: ${Object.values(Phase).join(', ')}`, phaseOption)
    .option(
      '--job-state <jobState>',
      `only runs whose NSE job is in this state: ${JOB_STATES.join(', ')}`,
      jobStateOption,
    )
    .option('--job <jobId>', 'only the run of this NSE job')
    .option('--query <visibility query>', 'any Temporal visibility query, added with AND')
    .option('--limit <n>', 'at most this many runs', positiveInt, 50)
    .addHelpText(
      'after',
      '\nExamples:\n  nse-flow list --status failed\n  nse-flow list --job-state ERROR --phase failed' +
        `\n  nse-flow list --query "NseTenantId = 'abc' AND ExecutionStatus = 'Running'"`,
    )
    .action(async (options: ListOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const quote = (v: string): string => `'${v.replace(/'/g, "''")}'`;
      const clauses = [
        "WorkflowType IN ('nseOperationWorkflow', 'provisionWorkflow', 'bulkWorkflow')",
        ...(options.status ? [`ExecutionStatus = ${quote(options.status)}`] : []),
        ...(options.phase ? [`NsePhase = ${quote(options.phase)}`] : []),
        ...(options.jobState ? [`NseJobState = ${quote(options.jobState)}`] : []),
        ...(options.job ? [`NseJobId = ${quote(options.job)}`] : []),
        ...(options.query ? [`(${options.query})`] : []),
      ];
      await withClient(async (client) => {
        const runs = await client.list(clauses.join(' AND '), options.limit).catch((err: unknown) => {
          // The server refuses a query it cannot parse (INVALID_ARGUMENT) and says why.
          const refusal = (err as { cause?: { code?: number; details?: string } }).cause;
          if (refusal?.code === GRPC_INVALID_ARGUMENT) {
            throw new CliError(`--query: Temporal refused the query: ${refusal.details ?? ''}`, ExitCode.Usage);
          }
          throw err;
        });
        const rows = runs.map((r) => [
          r.workflowId,
          r.status.toLowerCase(),
          r.phase ?? '-',
          r.objectType ?? '-',
          r.jobId ?? '-',
          r.jobState ?? '-',
          r.startTime,
        ]);
        const headers = ['WORKFLOW ID', 'STATUS', 'PHASE', 'OBJECT', 'NSE JOB', 'JOB STATE', 'STARTED'];
        print(global, runs, rows.length > 0 ? table(headers, rows) : 'no runs');
      });
    });

  program
    .command('jobs')
    .description('list NSE jobs straight from NSE (reads NSE_BASE_URL and credentials like the worker)')
    .option('--tenant <id>', "only this tenant's jobs (NSE lists every job the user may see without it)")
    .option('--limit <n>', 'page size', positiveInt, 20)
    .option('--all', 'every page, not only the first')
    .addHelpText(
      'after',
      '\nExamples:\n  nse-flow jobs\n  nse-flow jobs --tenant 5ed72c8c6342e90001439d00 --all --json',
    )
    .action(async (options: { tenant?: string; limit: number; all?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const config = loadConfigOrFail();
      const nse = new NseClient({ ...config.nse, getRetries: 5 });
      try {
        const jobs: Job[] = [];
        if (options.all) {
          for await (const job of nse.iterateJobs({ tenantId: options.tenant, limit: options.limit })) jobs.push(job);
        } else {
          jobs.push(...(await nse.listJobs({ tenantId: options.tenant, limit: options.limit })).jobs);
        }
        const rows = jobs.map((j) => [j.id, j.state, j.action, j.objectType, j.objectName, j.created]);
        const headers = ['JOB ID', 'STATE', 'ACTION', 'OBJECT TYPE', 'OBJECT NAME', 'CREATED'];
        print(global, jobs, rows.length > 0 ? table(headers, rows) : 'no jobs');
      } catch (err) {
        throw nseCliError(err, config.nse.baseUrl);
      } finally {
        nse.close();
      }
    });

  program
    .command('status')
    .description("show a run's progress (phase, job, polls)")
    .argument('<workflowId>')
    .addHelpText('after', '\nExample:\n  nse-flow status nse-flow-op-create-disk-1234')
    .action(async (workflowId: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        const [status, build] = await Promise.all([client.getStatus(workflowId), client.getBuild(workflowId)]);
        const own = await client.getWaits(workflowId);
        const waits = await waitsOfStep(client, status, own);
        const title =
          'bulk' in status ? `bulk ${status.bulk}` : 'steps' in status ? `plan ${status.plan}` : status.summary;
        print(
          global,
          { ...status, waits, build: build ?? null },
          `${workflowId}: ${title}: ${describeProgress(status, waits)}\n  ${describeBuild(build, own.status === 'RUNNING')}`,
        );
      });
    });

  program
    .command('result')
    .description('wait for a run to end and print its outcome')
    .argument('<workflowId>')
    .addHelpText('after', '\nExample:\n  nse-flow result nse-flow-op-create-disk-1234')
    .action(async (workflowId: string, _options: unknown, command: Command) => {
      await withClient((client) => followRun(client, workflowId, command.optsWithGlobals<GlobalOptions>()));
    });

  program
    .command('cancel')
    .description(
      'cancel a run: it waits for its NSE job to end (NSE cannot stop a job), undoes what the job made and ends ' +
        'cancelled (exit 4 from `result`), or failed (CancelCleanUpIncomplete) if the undo is incomplete',
    )
    .argument('<workflowId>')
    .addHelpText('after', '\nExample:\n  nse-flow cancel nse-flow-op-create-disk-1234')
    .action(async (workflowId: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        await client.cancel(workflowId);
        print(global, { workflowId, cancelRequested: true }, `cancellation requested for ${workflowId}`);
      });
    });

  program
    .command('decide')
    .description('decide what a held run does with its failed job: undo it (compensate) or keep what it made')
    .argument('<workflowId>')
    .addArgument(new Argument('<decision>').choices(['compensate', 'keep']))
    .addHelpText('after', '\nExample:\n  nse-flow decide nse-flow-op-create-disk-1234 keep')
    .action(async (workflowId: string, decision: Decision, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        try {
          await client.decide(workflowId, decision);
        } catch (err) {
          // Refused by the run (not awaiting a decision, closed) or no such run: nothing was decided.
          throw new CliError(`${workflowId}: cannot decide: ${rootMessage(err)}`, ExitCode.Usage);
        }
        print(global, { workflowId, decision }, `${workflowId}: decided ${decision}`);
      });
    });
}
