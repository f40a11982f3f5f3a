/**
 * The Temporal-level property test of every entry a workflow has (issue #24): fast-check generates hostile
 * arguments (a valid value with one path replaced, removed or added: lone surrogates, huge, negative and fractional
 * numbers, `null` and wrong types, nesting up to 20,000 deep, megabyte strings, prototype keys) for every workflow
 * type, update and signal, and for each Nexus operation's input; each is sent as raw JSON through the real client to
 * the real dev server (raw, so the client's own serialiser is no limit). Every NSE call of the task queue is paused
 * for the whole check, so a value the gate admits starts a run that waits without calling NSE.
 *
 * Asserted from the server: a start the gate refuses ends its run with `InvalidInput` in its first workflow task; an
 * update the gate refuses is refused with `InvalidInput`; no run or target shows a `WorkflowTaskFailed` event; the
 * simulator's ledger records no request at all. Updates and signals go to long-lived targets, fresh ones every
 * `casesPerTargets` cases and before one holds so many open updates that the server would refuse the next; every
 * client call of a case has a deadline, so no case can hold the check up for good. `npm test` runs a bounded number
 * (test/integration/entries.test.ts); `npm run fuzz -- --entries --runs N` runs more against a stack of its own.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Client } from '@temporalio/client';
import { temporal, type google } from '@temporalio/proto';
import fc from 'fast-check';
import { pauseNseCalls } from '../../src/client/pause';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { admitArgument, WORKFLOW_INPUTS } from '../../src/shared/entries';
import { isInvalidInput } from '../../src/shared/entry-gate';

type Json = unknown;
const { EventType, UpdateWorkflowExecutionLifecycleStage: Stage } = temporal.api.enums.v1;
const NAMESPACE = 'default';
const ID = '5f0c8a1e2b3c4d5e6f708192';

/** A value nested `depth` levels deep, written out as text when sent (no serialiser recursion). */
class Deep {
  constructor(
    readonly depth: number,
    readonly arrays: boolean,
  ) {}
}

/** Values an attacker sends: each breaks one assumption a handler could make. */
const hostile: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('\ud800', 'a\udc00b', '\udfff\ud800', 'ok\ud83d', '\ud83d\udcbe') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      1e300,
      -1e300,
      -1,
      0,
      0.5,
      -0.25,
      2 ** 53,
      8.64e15 + 1,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
    ),
  },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 4, arbitrary: fc.constantFrom(null, true, false, '', [], {}, 'x', 7) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(33, 100, 1_000, 20_000)
      .chain((depth) => fc.boolean().map((arrays) => new Deep(depth, arrays))),
  },
  // A megabyte: every case stores it in history, so fewer of them.
  { weight: 1, arbitrary: fc.constant('x'.repeat(1 << 20)) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype').map((key) => ({ [key]: { polluted: true } })),
  },
);

/** Keys an attacker adds. */
const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '\ud800', 'extra', ''),
  fc.string(),
);

/** Every path of `value` (objects and arrays, the root first). */
function pathsOf(value: Json): (string | number)[][] {
  const paths: (string | number)[][] = [[]];
  const pending: { node: Json; at: (string | number)[] }[] = [{ node: value, at: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, at } = next;
    if (node === null || typeof node !== 'object') continue;
    const entries: [string | number, Json][] = Array.isArray(node)
      ? node.map((item, index) => [index, item])
      : Object.entries(node);
    for (const [key, child] of entries) {
      paths.push([...at, key]);
      pending.push({ node: child, at: [...at, key] });
    }
  }
  return paths;
}

/** `value` with one change at `path`: replaced by `replacement`, removed, or given an extra key. */
function mutate(
  value: Json,
  path: (string | number)[],
  how: 'replace' | 'remove' | 'add',
  key: string,
  hostileValue: Json,
): Json {
  if (path.length === 0)
    return how === 'add' && value && typeof value === 'object' ? { ...value, [key]: hostileValue } : hostileValue;
  const copy = structuredClone(value) as Record<string | number, Json>;
  let parent: Record<string | number, Json> = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (how === 'remove') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (
    how === 'add' &&
    parent[last] !== null &&
    typeof parent[last] === 'object' &&
    !Array.isArray(parent[last])
  ) {
    Object.defineProperty(parent[last], key, {
      value: hostileValue,
      enumerable: true,
      configurable: true,
      writable: true,
    });
  } else {
    parent[last] = hostileValue;
  }
  return copy;
}

/** A hostile variant of `valid`: one path changed. */
function hostileVariant(valid: Json): fc.Arbitrary<Json> {
  const paths = pathsOf(valid);
  return fc
    .tuple(
      fc.integer({ min: 0, max: paths.length - 1 }),
      fc.constantFrom('replace', 'replace', 'remove', 'add') as fc.Arbitrary<'replace' | 'remove' | 'add'>,
      hostileKey,
      hostile,
    )
    .map(([index, how, key, value]) => mutate(valid, paths[index] as (string | number)[], how, key, value));
}

const hostgroup = (name: string): Record<string, Json> => ({
  name,
  subtenant_id: SIM_FIXTURES.subtenantId,
  zone: SIM_FIXTURES.zone,
  protocol: 'iscsi',
  os_type: 'linux',
  tags: { team: 'a' },
});
const POLL = { initialIntervalMs: 1000, maxIntervalMs: 2000, maxPollsPerRun: 10 };

/** Valid inputs of every workflow type, the continue-as-new states among them. */
const VALID_STARTS: { workflow: keyof typeof WORKFLOW_INPUTS; input: Json }[] = [
  {
    workflow: 'nseOperationWorkflow',
    input: {
      operation: 'create-hostgroup',
      tenantId: SIM_FIXTURES.tenantId,
      input: hostgroup('fuzz-hg'),
      poll: POLL,
      onFailure: 'hold',
      holdTimeoutMs: 60_000,
      holdDefault: 'keep',
    },
  },
  {
    workflow: 'nseOperationWorkflow',
    input: {
      operation: 'update-hostgroup-initiator',
      input: { hostgroup_id: ID, alias: 'host-a', initiator: 'iqn.1998-01.com.vmware:b' },
    },
  },
  {
    workflow: 'nseOperationWorkflow',
    input: { operation: 'delete-disk-snapshot', input: { disk_id: ID, name: 'snap-1' } },
  },
  {
    workflow: 'nseOperationWorkflow',
    input: {
      operation: 'create-hostgroup',
      input: hostgroup('fuzz-resumed'),
      poll: POLL,
      resume: {
        jobId: ID,
        phase: 'polling',
        polls: 3,
        intervalMs: 1500,
        deadline: 1_900_000_000_000,
        startedAt: 1_800_000_000_000,
        warnings: 0,
        lastState: 'RUNNING',
        lastUpdated: '2026-12-07T10:00:00Z',
        objectId: ID,
        before: { name: 'old', tags: { team: 'b' } },
        readErrors: 1,
        lastReadError: 'NseUnavailable: 503',
        unknownStateWords: ['RECONCILING'],
      },
    },
  },
  {
    workflow: 'provisionWorkflow',
    input: {
      name: 'fuzz-plan',
      tenantId: SIM_FIXTURES.tenantId,
      poll: POLL,
      steps: [
        { id: 'hosts', operation: 'create-hostgroup', input: hostgroup('fuzz-plan-hg') },
        {
          id: 'initiator',
          operation: 'add-hostgroup-initiator',
          input: { hostgroup_id: '${steps.hosts.objectId}', alias: 'a', initiator: 'iqn.1998-01.com.vmware:a' },
        },
      ],
      reused: { hosts: { objectId: ID } },
    },
  },
  {
    workflow: 'bulkWorkflow',
    input: {
      name: 'fuzz-bulk',
      operation: 'create-hostgroup',
      tenantId: SIM_FIXTURES.tenantId,
      input: hostgroup('fuzz-bulk'),
      poll: POLL,
      maxConcurrency: 2,
      toleratedFailurePercent: 50,
      items: [{ key: 'a', input: { name: 'fuzz-bulk-a' } }, { input: { name: 'fuzz-bulk-b' } }],
      itemsPerRun: 10,
      finished: [{ key: 'done-1', outcome: 'done', objectId: ID }],
      total: 3,
    },
  },
  { workflow: 'nseFlowControlWorkflow', input: { all: false, tenants: ['t1', 't2'] } },
  { workflow: 'nseSweepWorkflow', input: { tenantIds: [SIM_FIXTURES.tenantId, 't2'], windowMs: 3_600_000, holdMs: 0 } },
];

/** The updates and signals of each kind of target, with a valid argument each (none: no argument). */
const TARGET_ENTRIES = {
  operation: {
    updates: {
      decide: 'keep',
      setPollPolicy: { maxIntervalMs: 5000 },
      extendDeadline: { byMs: 1000 },
      accepted: undefined,
    },
    signals: { resume: undefined },
  },
  plan: { updates: { accepted: undefined }, signals: { stepAccepted: { workflowId: 'x/hosts', nseJobId: 'j1' } } },
  bulk: { updates: { setBulkLimits: { maxConcurrency: 3 } }, signals: {} },
  control: { updates: { pause: { tenantId: 'fuzz-tenant' }, resume: {} }, signals: {} },
  sweep: {
    updates: { undoSweptObject: '5f1a00000000000000000abc', sweepFindings: undefined },
    signals: { resume: undefined },
  },
} as const;
type TargetKind = keyof typeof TARGET_ENTRIES;

/** One case: a workflow started with a hostile input, or an update or signal sent with hostile arguments. */
export type EntryCase =
  | { kind: 'start'; workflow: keyof typeof WORKFLOW_INPUTS; input: Json }
  | { kind: 'update' | 'signal'; target: TargetKind; name: string; args: Json[] };

/** Arguments for an entry: none, the valid one changed, or two. */
function hostileArgs(valid: Json): fc.Arbitrary<Json[]> {
  return fc.oneof(
    { weight: 6, arbitrary: (valid === undefined ? hostile : hostileVariant(valid)).map((arg) => [arg]) },
    { weight: 1, arbitrary: fc.constant<Json[]>([]) },
    { weight: 1, arbitrary: fc.tuple(hostile, hostile).map((pair): Json[] => pair) },
  );
}

/** Every entry's cases, weighted so each workflow type, update and signal is reached often. */
export const entryCase: fc.Arbitrary<EntryCase> = fc.oneof(
  ...VALID_STARTS.map(({ workflow, input }) =>
    hostileVariant(input).map((variant): EntryCase => ({ kind: 'start', workflow, input: variant })),
  ),
  ...Object.entries(TARGET_ENTRIES).flatMap(([target, { updates, signals }]) => [
    ...Object.entries(updates).map(([name, valid]) =>
      hostileArgs(valid).map((args): EntryCase => ({ kind: 'update', target: target as TargetKind, name, args })),
    ),
    ...Object.entries(signals).map(([name, valid]) =>
      hostileArgs(valid).map((args): EntryCase => ({ kind: 'signal', target: target as TargetKind, name, args })),
    ),
  ]),
);

/** JSON text of `value`, writing each {@link Deep} out by repetition (no recursion, any depth). */
export function jsonText(value: Json): string {
  const deep: Deep[] = [];
  const text =
    JSON.stringify(value, (_key, item: unknown) => {
      if (!(item instanceof Deep)) return item;
      deep.push(item);
      return `@@deep-${deep.length - 1}@@`;
    }) ?? 'null';
  return text.replace(/"@@deep-(\d+)@@"/g, (_match, index: string) => {
    const { depth, arrays } = deep[Number(index)] as Deep;
    return arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  });
}

/** JSON.parse of {@link jsonText}: the value a worker decodes (for the local gate, the oracle). */
function decoded(value: Json): Json {
  return JSON.parse(jsonText(value));
}

function payloads(args: Json[]): temporal.api.common.v1.IPayloads {
  return {
    payloads: args.map((arg) => ({
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(jsonText(arg)),
    })),
  };
}

/** Where the cases go: a client, a task queue with a worker, and the count of the simulator's requests. */
export interface EntryTarget {
  client: Client;
  taskQueue: string;
  /** Every request the simulator received so far, as `METHOD path`. */
  nseRequests(): Promise<string[]>;
  /** Every NSE client call made so far, as `workflowId activityType`, when the stack can tell (names the culprit). */
  nseCallers?(): string[];
}

/** What a check found: the cases run and, for each that broke a property, why. */
export interface EntryReport {
  cases: number;
  byKind: Record<string, number>;
  problems: string[];
}

/** How a check runs; every field has a default. */
export interface CheckOptions {
  /** Cases in flight at once. */
  concurrency?: number;
  /** Cases one set of targets serves at most before fresh targets take over. */
  casesPerTargets?: number;
  /** Called after each set of targets with the cases done so far and the problems found so far. */
  onProgress?: (progress: { done: number; problems: number }) => void;
}

/** A safety net only: a run whose task fails forever is ended by it (and reported), never awaited forever. */
const RUN_TIMEOUT = { seconds: 120 } as unknown as google.protobuf.IDuration;
/**
 * The server's limit of updates in flight (admitted, not completed) per workflow: `history.maxInFlightUpdates`, 10 in
 * the dev server. An admitted `accepted` or `sweepFindings` update never completes on a target whose NSE calls are
 * paused, so a target that holds 10 refuses every later update with RESOURCE_EXHAUSTED (after the client's ~40 s of
 * retries): the long-lived targets of a 5,000-case check did, and the check crawled to a halt.
 */
const SERVER_MAX_IN_FLIGHT_UPDATES = 10;
/** Every client call of a case is cancelled at this deadline (a refused start's run ends within RUN_TIMEOUT). */
const CASE_DEADLINE_MS = 180_000;
/** The deadline of each call about the targets (start, check, terminate) and of the ledger read. */
const CALL_DEADLINE_MS = 60_000;

/** Runs `cases` against `target`, on fresh targets every `casesPerTargets` cases; reports each broken property. */
export async function checkEntries(
  target: EntryTarget,
  cases: EntryCase[],
  { concurrency = 8, casesPerTargets = 100, onProgress }: CheckOptions = {},
): Promise<EntryReport> {
  const report: EntryReport = { cases: cases.length, byKind: {}, problems: [] };
  await withDeadline(target, CALL_DEADLINE_MS, () => pauseNseCalls(target.client, target.taskQueue, {}));
  // A target never holds more open updates than this, counting the cases in flight that could add one each.
  const maxOpenUpdates = Math.max(1, SERVER_MAX_IN_FLIGHT_UPDATES - concurrency);
  let done = 0;
  while (done < cases.length) {
    const end = Math.min(cases.length, done + casesPerTargets);
    done = await checkWithTargets(target, cases, { from: done, end, concurrency, maxOpenUpdates }, report);
    onProgress?.({ done, problems: report.problems.length });
  }
  return report;
}

/**
 * Runs cases from `from` (up to `end`) on a fresh set of targets until `end`, or until one target holds
 * `maxOpenUpdates` updates that have not completed; checks the targets' histories and the simulator's ledger for
 * those cases, then terminates every run they started. Returns the index of the first case not run.
 */
async function checkWithTargets(
  target: EntryTarget,
  cases: EntryCase[],
  {
    from,
    end,
    concurrency,
    maxOpenUpdates,
  }: { from: number; end: number; concurrency: number; maxOpenUpdates: number },
  report: EntryReport,
): Promise<number> {
  const { problems, byKind } = report;
  const before = await withDeadline(target, CALL_DEADLINE_MS, () => target.nseRequests());
  const callersBefore = target.nseCallers?.().length ?? 0;
  const targets = await withDeadline(target, CALL_DEADLINE_MS, () => startTargets(target));
  const openUpdates = Object.fromEntries(Object.keys(targets).map((kind) => [kind, 0])) as Record<TargetKind, number>;
  const started = new Map<string, number>(); // workflow id → case
  let next = from;
  try {
    const worker = async (): Promise<void> => {
      while (next < end && Math.max(...Object.values(openUpdates)) < maxOpenUpdates) {
        const index = next++;
        const entry = cases[index] as EntryCase;
        const label =
          entry.kind === 'start' ? `start ${entry.workflow}` : `${entry.kind} ${entry.target}.${entry.name}`;
        byKind[label] = (byKind[label] ?? 0) + 1;
        try {
          const problem = await withDeadline(target, CASE_DEADLINE_MS, async () =>
            entry.kind === 'start'
              ? await runStart(target, entry, (workflowId) => started.set(workflowId, index))
              : await runMessage(target, entry, targets, openUpdates),
          );
          if (problem) problems.push(`case ${index} (${label}): ${problem}: ${preview(entry)}`);
        } catch (err) {
          problems.push(`case ${index} (${label}): ${(err as Error).message}: ${preview(entry)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    for (const [kind, workflowId] of Object.entries(targets)) {
      const failed = await withDeadline(target, CALL_DEADLINE_MS, () => failedTaskCauses(target.client, workflowId));
      if (failed.length > 0)
        problems.push(
          `target ${kind} ${workflowId} of cases ${from}-${next - 1}: ${failed.length} WorkflowTaskFailed events (${failed.join('; ')})`,
        );
    }
    const requests = (await withDeadline(target, CALL_DEADLINE_MS, () => target.nseRequests())).slice(before.length);
    if (requests.length !== 0) {
      const callers = (target.nseCallers?.() ?? []).slice(callersBefore).map((caller) => {
        const [workflowId = '', activity = ''] = caller.split(' ');
        const kind = Object.entries(targets).find(([, id]) => workflowId.startsWith(id))?.[0];
        const index = [...started].find(([id]) => workflowId.startsWith(id))?.[1];
        return `${activity} of ${kind ? `target ${kind}` : index === undefined ? '?' : `case ${index}`} (${workflowId})`;
      });
      problems.push(
        `cases ${from}-${next - 1}: the simulator recorded ${requests.length} requests (first: ${requests.slice(0, 5).join(', ')})` +
          (callers.length > 0 ? `; NSE called by ${[...new Set(callers)].join(', ')}` : ''),
      );
    }
  } finally {
    await Promise.all(
      [...Object.values(targets), ...started.keys()].map((id) =>
        withDeadline(target, CALL_DEADLINE_MS, () => terminate(target.client, id)).catch(() => undefined),
      ),
    );
  }
  return next;
}

/** Runs `call` with every client call in it cancelled `ms` from now; a call cancelled so says which deadline. */
async function withDeadline<T>(target: EntryTarget, ms: number, call: () => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(ms);
  // Each client call under it adds a listener (a case's long polls make many): no leak, the signal goes with the case.
  setMaxListeners(0, deadline);
  try {
    return await target.client.withAbortSignal(deadline, call);
  } catch (err) {
    if (deadline.aborted) throw new Error(`no answer within ${ms / 1000} s (${(err as Error).message})`);
    throw err;
  }
}

/** One long-lived run of each kind, started with a valid input; each waits (its NSE calls are paused). */
async function startTargets({ client, taskQueue }: EntryTarget): Promise<Record<TargetKind, string>> {
  const inputs: Record<TargetKind, [string, Json]> = {
    operation: ['nseOperationWorkflow', (VALID_STARTS[0] as { input: Json }).input],
    plan: ['provisionWorkflow', { ...(VALID_STARTS[4] as { input: Record<string, Json> }).input, reused: undefined }],
    bulk: [
      'bulkWorkflow',
      { ...(VALID_STARTS[5] as { input: Record<string, Json> }).input, finished: undefined, total: undefined },
    ],
    control: ['nseFlowControlWorkflow', { all: false, tenants: [] }],
    sweep: ['nseSweepWorkflow', { tenantIds: [SIM_FIXTURES.tenantId] }],
  };
  const ids = {} as Record<TargetKind, string>;
  for (const [kind, [workflow, input]] of Object.entries(inputs) as [TargetKind, [string, Json]][]) {
    ids[kind] = `fuzz-target-${kind}-${randomUUID()}`;
    // No execution timeout: a target lives as long as its set of cases (minutes on a loaded machine); it is
    // terminated after them.
    await start(client, taskQueue, ids[kind], workflow, input, null);
    await waitForFirstTask(client, ids[kind]);
  }
  return ids;
}

async function start(
  client: Client,
  taskQueue: string,
  workflowId: string,
  workflow: string,
  input: Json,
  timeout: google.protobuf.IDuration | null = RUN_TIMEOUT,
): Promise<void> {
  await client.workflowService.startWorkflowExecution({
    namespace: NAMESPACE,
    workflowId,
    requestId: randomUUID(),
    workflowType: { name: workflow },
    taskQueue: { name: taskQueue },
    input: payloads([input]),
    ...(timeout === null ? {} : { workflowExecutionTimeout: timeout }),
  });
}

/** A start: refused by the gate → the run fails with InvalidInput in its first task; admitted → it runs and waits. */
async function runStart(
  target: EntryTarget,
  entry: Extract<EntryCase, { kind: 'start' }>,
  onStarted: (workflowId: string) => void,
): Promise<string | undefined> {
  const workflowId = `fuzz-${entry.workflow}-${randomUUID()}`;
  const refused = refusedLocally(() => WORKFLOW_INPUTS[entry.workflow](decoded(entry.input)));
  await start(target.client, target.taskQueue, workflowId, entry.workflow, entry.input);
  onStarted(workflowId);
  if (!refused) {
    await waitForFirstTask(target.client, workflowId);
    const failed = await failedTasks(target.client, workflowId);
    return failed > 0 ? `an admitted input failed ${failed} workflow tasks` : undefined;
  }
  const closed = await closedEvent(target.client, workflowId);
  const failure = closed.workflowExecutionFailedEventAttributes?.failure;
  if (!failure) return `a refused input ended ${EventType[closed.eventType ?? 0]}, not failed`;
  if (!isInvalidInputFailure(failure)) return `failed with ${failure.applicationFailureInfo?.type ?? failure.message}`;
  const events = await history(target.client, workflowId);
  const tasks = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length;
  const failed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length;
  if (failed > 0 || tasks !== 1) return `${tasks} workflow tasks completed and ${failed} failed (1 and 0 expected)`;
  return undefined;
}

/** An update (refused by the gate → refused with InvalidInput) or a signal (taken; the target goes on). */
async function runMessage(
  target: EntryTarget,
  entry: Extract<EntryCase, { kind: 'update' | 'signal' }>,
  targets: Record<TargetKind, string>,
  openUpdates: Record<TargetKind, number>,
): Promise<string | undefined> {
  // The control target is a control run of its own: pausing it pauses nothing.
  const workflowId = targets[entry.target];
  const service = target.client.workflowService;
  if (entry.kind === 'signal') {
    await service.signalWorkflowExecution({
      namespace: NAMESPACE,
      workflowExecution: { workflowId },
      signalName: entry.name,
      input: payloads(entry.args),
      requestId: randomUUID(),
    });
    return undefined;
  }
  const refused = refusedLocally(() => admitArgument('update', entry.name, entry.args.map(decoded)));
  const response = await service.updateWorkflowExecution({
    namespace: NAMESPACE,
    workflowExecution: { workflowId },
    request: {
      meta: { updateId: randomUUID(), identity: 'fuzz' },
      input: { name: entry.name, args: payloads(entry.args) },
    },
    // Accepted is enough: `accepted` waits for a job no paused run gets. A refused update completes at once.
    waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED },
  });
  const failure = response.outcome?.failure;
  const accepted = (response.stage ?? 0) >= Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
  // Accepted and not completed: it holds one of the target's in-flight places, maybe for good.
  if (accepted && !response.outcome) openUpdates[entry.target] += 1;
  if (!failure && !accepted) return 'the update was neither accepted nor refused';
  if (refused && !failure) return 'an argument the gate refuses was taken';
  if (failure && !failure.applicationFailureInfo) return `the update failed untyped: ${failure.message}`;
  if (refused && !isInvalidInputFailure(failure as temporal.api.failure.v1.IFailure))
    return `refused with ${failure?.applicationFailureInfo?.type}, not InvalidInput`;
  return undefined;
}

function refusedLocally(check: () => unknown): boolean {
  try {
    check();
    return false;
  } catch (err) {
    if (isInvalidInput(err)) return true;
    throw new Error(`the gate threw ${(err as Error).name}: ${(err as Error).message}`);
  }
}

function isInvalidInputFailure(failure: temporal.api.failure.v1.IFailure): boolean {
  for (let at: temporal.api.failure.v1.IFailure | null | undefined = failure; at; at = at.cause)
    if (at.applicationFailureInfo?.type === 'InvalidInput' && at.applicationFailureInfo.nonRetryable) return true;
  return false;
}

async function history(client: Client, workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

async function failedTasks(client: Client, workflowId: string): Promise<number> {
  return (await failedTaskCauses(client, workflowId)).length;
}

/** The cause and message of each WorkflowTaskFailed event of the run. */
async function failedTaskCauses(client: Client, workflowId: string): Promise<string[]> {
  return (await history(client, workflowId))
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .map((e) => {
      const attributes = e.workflowTaskFailedEventAttributes;
      return `${String(attributes?.cause)}: ${attributes?.failure?.message ?? ''}`.slice(0, 300);
    });
}

/** Waits (long-polling the history) for the run's first workflow task to complete or fail. */
async function waitForFirstTask(client: Client, workflowId: string): Promise<void> {
  const done = new Set([EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]);
  await eventMatching(client, workflowId, (e) => done.has(e.eventType as number));
}

/** The run's closing event (long-polling the history until it closes; its execution timeout bounds the wait). */
async function closedEvent(client: Client, workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent> {
  for (;;) {
    const response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: NAMESPACE,
      execution: { workflowId },
      waitNewEvent: true,
      historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    const event = response.history?.events?.[0];
    if (event) return event;
  }
}

async function eventMatching(
  client: Client,
  workflowId: string,
  matches: (event: temporal.api.history.v1.IHistoryEvent) => boolean,
): Promise<void> {
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: NAMESPACE,
      execution: { workflowId },
      waitNewEvent: true,
      nextPageToken,
    });
    if ((response.history?.events ?? []).some(matches)) return;
    if (!response.nextPageToken?.length) throw new Error('the run closed before the event the check waits for');
    nextPageToken = response.nextPageToken;
  }
}

async function terminate(client: Client, workflowId: string): Promise<void> {
  await client.workflow
    .getHandle(workflowId)
    .terminate('entry check over')
    .catch(() => undefined); // already closed
}

/** The case, short enough for a report line. */
function preview(entry: EntryCase): string {
  const text = jsonText(entry.kind === 'start' ? entry.input : entry.args);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text;
}
