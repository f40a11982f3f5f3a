/**
 * The chaos suite as a library: {@link runChaos} starts its own stack, drives N seeded provisioning runs through it
 * while injecting faults (NSE faults through simulator rules, worker SIGKILLs at chosen moments, a Temporal server
 * restart, token expiry), then checks every invariant and returns the figures. `chaos/run.ts` (the CLI) and
 * `test/chaos/chaos.test.ts` both call it.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SIM_FIXTURES } from '../simulator/fixtures';
import type { OperationResult, ProvisionResult, StepReport } from '../src/shared/workflow-api';
import {
  checkRun,
  duplicates,
  indexLedger,
  reportedForManualCleanUp,
  unreportedObjects,
  type RunRecord,
  type Violation,
} from './invariants';
import { createRng, type Rng } from '../simulator/prng';
import { KillMoment, planScenarios, allRules, type Outcome, type Scenario } from './scenarios';
import { chaosSecrets, scanLines, scanValue, type Leak } from './secrets';
import { ChaosStack, type SimRequestInfo } from './stack';

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** Number of provisioning runs. */
  workflows: number;
  seed: number;
  /** Runs in flight at once; default 16. */
  concurrency?: number;
  /** Worker kills per moment (submit, between polls, compensation); default max(1, round(N / 70)). */
  killsPerMoment?: number;
  /** Also draw the adversarial NSE shapes, read faults and stories (see `ScenarioOptions.adversarial`). */
  adversarial?: boolean;
  /** Temporal server restarts; default max(1, round(N / 100)). */
  serverRestarts?: number;
  /** Token expiries (simulator clock jumps); default max(2, round(N / 40)). */
  tokenExpiries?: number;
  /** A run still open after this long is terminated and counted as `Stuck`; default 10 minutes. */
  runTimeoutMs?: number;
  /** Prebuilt workflow bundle (the tests pass the one global setup built). */
  workflowBundle?: string;
  /** Where logs and the SQLite file go; a new temp dir by default, removed afterwards unless `keepWorkDir`. */
  workDir?: string;
  keepWorkDir?: boolean;
  log?: (line: string) => void;
}

/** A fault the harness injected (simulator faults are counted from the ledger instead). */
export interface HarnessEvent {
  kind: 'worker-kill' | 'server-restart' | 'token-expiry' | 'cancel';
  /** Milliseconds since the first run started. */
  atMs: number;
  detail: string;
}

/** Everything a chaos run measured; {@link formatReport} renders it. */
export interface ChaosReport {
  seed: number;
  workflows: number;
  concurrency: number;
  machine: string;
  date: string;
  workDir: string;
  wallMs: number;
  runs: RunRecord[];
  outcomes: Record<string, { actual: number; expected: number }>;
  stories: Record<string, number>;
  pollModes: Record<string, number>;
  /** Simulator faults that fired, by kind (from the ledger's `fault` field). */
  simFaults: Record<string, number>;
  kills: Record<KillMoment, number>;
  serverRestarts: number;
  tokenExpiries: number;
  /** NSE answers 401, sign-ins and refreshes the worker made. */
  auth: { unauthorized: number; signIns: number; refreshes: number; tokensIssued: number };
  workerStarts: number;
  workerCrashes: string[];
  adoptions: number;
  nseRequests: number;
  /** Job reads answered with `request_payload` credentials in them: what the worker had to keep out of history. */
  jobReadsWithCredentials: number;
  duplicates: { key: string; creates: number }[];
  manualCleanUp: number;
  scanned: { executions: number; historyEvents: number; logLines: number };
  leaks: Leak[];
  violations: Violation[];
  harnessEvents: HarnessEvent[];
  durationsMs: { p50: number; p95: number; max: number };
}

/** Processes a chaos run started and has not stopped yet; {@link stopAllChaosStacks} ends them (test clean-up). */
const activeStacks = new Set<ChaosStack>();

/** Stops every stack a {@link runChaos} call still holds (for a test's afterAll when a run was aborted). */
export async function stopAllChaosStacks(): Promise<void> {
  await Promise.all([...activeStacks].map((stack) => stack.stop()));
  activeStacks.clear();
}

/** The seeded scenarios of a run of `workflows` runs: what {@link runChaos} will do, without doing it. */
export function chaosPlan(workflows: number, seed: number, killsPerMoment?: number, adversarial = false): Scenario[] {
  return planScenarios(workflows, createRng(seed).fork('scenarios'), {
    idPrefix: `chaos-s${seed}`,
    killsPerMoment: killsPerMoment ?? Math.max(1, Math.round(workflows / 70)),
    adversarial,
  });
}

/** Runs the chaos suite; see the module comment. Never throws for broken invariants: they are in the report. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const n = options.workflows;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rng = createRng(options.seed);
  const scenarios = chaosPlan(n, options.seed, options.killsPerMoment, options.adversarial);
  const workDir = options.workDir ?? mkdtempSync(path.join(os.tmpdir(), 'nse-flow-chaos-'));
  // The one thing not drawn from the seed: a secret must not be guessable from the command line.
  const password = `chaos-${randomBytes(18).toString('base64url')}`;
  const username = 'chaos-svc';
  log(`chaos: ${n} runs, seed ${options.seed}, work dir ${workDir}`);
  const stack = await ChaosStack.start({
    workDir,
    username,
    password,
    taskQueue: `chaos-${options.seed}`,
    // In simulator time; the suite's clock jumps past it at seeded moments (token expiry mid-run).
    tokenTtlSeconds: 90,
    workflowBundle: options.workflowBundle,
    log,
  });
  activeStacks.add(stack);
  try {
    return await drive(stack, scenarios, options, rng, log, { username, password, workDir });
  } finally {
    await stack.stop();
    activeStacks.delete(stack);
    if (!options.keepWorkDir && !options.workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

interface Credentials {
  username: string;
  password: string;
  workDir: string;
}

async function drive(
  stack: ChaosStack,
  scenarios: Scenario[],
  options: ChaosOptions,
  rng: Rng,
  log: (line: string) => void,
  creds: Credentials,
): Promise<ChaosReport> {
  const n = scenarios.length;
  const concurrency = options.concurrency ?? 16;
  await createAccountFixture(stack);
  await stack.setRules(allRules(scenarios));
  const before = await stack.ledger();
  const baseline = before.requests.length;
  const existedBefore = new Set(before.resources.map((r) => r.id));

  const t0 = Date.now();
  const faults = new FaultController(stack, scenarios, rng.fork('harness'), log, t0, {
    serverRestarts: options.serverRestarts ?? Math.max(1, Math.round(n / 100)),
    tokenExpiries: options.tokenExpiries ?? Math.max(2, Math.round(n / 40)),
  });
  stack.observe(faults);
  stack.worker.onCrash = () => faults.restartWorker('crash');

  const runs: RunRecord[] = [];
  let next = 0;
  const startRng = rng.fork('starts');
  const pauses = scenarios.map(() => startRng.int(0, 400));
  const lane = async (): Promise<void> => {
    while (next < scenarios.length) {
      const s = scenarios[next++] as Scenario;
      await delay(pauses[s.index] ?? 0);
      const record = await runOne(stack, s, options.runTimeoutMs ?? 600_000, log);
      runs.push(record);
      if (runs.length % Math.max(1, Math.round(n / 10)) === 0 || runs.length === n) {
        log(`chaos: ${runs.length}/${n} runs done (${Math.round((Date.now() - t0) / 1000)} s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  const wallMs = Date.now() - t0;
  await faults.settle();
  runs.sort((a, b) => a.scenario.index - b.scenario.index);

  log('chaos: checking invariants and scanning for secrets');
  const ledger = await stack.ledger();
  const leaks: Leak[] = [];
  const scanned = { executions: 0, historyEvents: 0, logLines: 0 };
  const secrets = chaosSecrets(creds.username, creds.password, stack.issuedTokens);
  for await (const execution of stack.client.temporal.workflow.list()) {
    const where = `${execution.workflowId}/${execution.runId}`;
    leaks.push(...scanValue(execution.raw, `visibility record (search attributes, memo) of ${where}`, secrets));
    const history = await stack.client.temporal.workflow
      .getHandle(execution.workflowId, execution.runId)
      .fetchHistory();
    scanned.executions++;
    scanned.historyEvents += history.events?.length ?? 0;
    leaks.push(...scanValue(history, `history of ${where}`, secrets));
  }
  await stack.worker.close(); // flushes the log files before they are read
  for (const file of [stack.worker.logPath, stack.worker.stderrPath]) {
    const text = readFileSync(file, 'utf8');
    scanned.logLines += text.split('\n').filter(Boolean).length;
    leaks.push(...scanLines(text, path.basename(file), secrets));
  }

  const index = indexLedger(ledger);
  const violations: Violation[] = runs.flatMap((run) => checkRun(run, index));
  violations.push(...unreportedObjects(runs, index, existedBefore));
  const dupes = duplicates(ledger);
  for (const d of dupes) violations.push({ invariant: 'duplicate', detail: `${d.key} created ${d.creates} times` });
  for (const leak of leaks) violations.push({ invariant: 'leak', detail: `${leak.secret} in ${leak.where}` });
  for (const crash of stack.worker.crashes) violations.push({ invariant: 'crash', detail: crash });

  const workerLog = readFileSync(stack.worker.logPath, 'utf8');
  const requests = ledger.requests.slice(baseline);
  return {
    seed: options.seed,
    workflows: n,
    concurrency,
    machine: machine(),
    date: new Date(t0).toISOString(),
    workDir: creds.workDir,
    wallMs,
    runs,
    outcomes: tally(runs, violations),
    stories: countBy(scenarios.map((s) => s.story)),
    pollModes: countBy(scenarios.map((s) => s.pollMode)),
    simFaults: countBy(
      requests.flatMap((r) => (r.fault ? r.fault.split(',').map((f) => faultLabel(f, r.method)) : [])),
    ),
    kills: faults.kills,
    serverRestarts: stack.serverRestarts,
    tokenExpiries: stack.tokenExpiries,
    auth: {
      unauthorized: requests.filter((r) => r.status === 401).length,
      signIns: requests.filter((r) => r.path === '/v2.1/auth/signin').length,
      refreshes: requests.filter((r) => r.path === '/v2.1/auth/refresh').length,
      tokensIssued: stack.issuedTokens.size,
    },
    workerStarts: stack.worker.starts,
    workerCrashes: stack.worker.crashes,
    adoptions: (workerLog.match(/adopting NSE job created by (an earlier|the last submit) attempt/g) ?? []).length,
    nseRequests: requests.length,
    jobReadsWithCredentials: requests.filter(
      (r) => r.method === 'GET' && /^\/v2\.1\/jobs\/[^/]+$/.test(r.path) && r.status === 200,
    ).length,
    duplicates: dupes,
    manualCleanUp: reportedForManualCleanUp(runs, index),
    scanned,
    leaks,
    violations,
    harnessEvents: faults.events,
    durationsMs: percentiles(runs.map((r) => r.endedAt - r.startedAt)),
  };
}

/** Splits latency by where it hit: a held submit or a read held past the activity timeout. */
function faultLabel(fault: string, method: string): string {
  if (fault === 'latencyMs') return method === 'GET' ? 'latencyMs (read, beyond timeout)' : 'latencyMs (submit, slow)';
  return fault;
}

/** Buckets need an Operational object-storage account: the suite creates one before any run, outside the runs. */
async function createAccountFixture(stack: ChaosStack): Promise<void> {
  const auth = `Basic ${Buffer.from(`${stack.options.username}:${stack.options.password}`).toString('base64')}`;
  const headers = { authorization: auth, 'content-type': 'application/json' };
  const created = await fetch(`${stack.simUrl}/v2.1/objectstorage/accounts`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ subtenant_id: SIM_FIXTURES.subtenantId, quota_gb: 1000 }),
  });
  const body = (await created.json()) as { result?: { records?: { id?: string }[] } };
  const jobId = body.result?.records?.[0]?.id;
  if (created.status !== 202 || !jobId)
    throw new Error(`creating the object-storage account answered ${created.status}`);
  for (let read = 0; read < 10; read++) {
    const job = (await (await fetch(`${stack.simUrl}/v2.1/jobs/${jobId}`, { headers })).json()) as {
      result?: { records?: { state?: string }[] };
    };
    if (job.result?.records?.[0]?.state === 'NORMAL') return;
  }
  throw new Error('the object-storage account job did not end NORMAL');
}

const { EventType, PendingActivityState } = temporal.api.enums.v1;

/** What a run that did not end waits on, for the log: its pending activities and workflow task, its last events. */
async function whereItWaits(handle: WorkflowHandle): Promise<string> {
  try {
    const [description, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    const pending = (description.raw.pendingActivities ?? []).map(
      (a) =>
        `${a.activityType?.name} attempt ${a.attempt} (${PendingActivityState[a.state ?? 0]}${a.lastFailure?.message ? `, last failure: ${a.lastFailure.message}` : ''})`,
    );
    const task = description.raw.pendingWorkflowTask
      ? `workflow task attempt ${description.raw.pendingWorkflowTask.attempt}`
      : '';
    const last = (history.events ?? [])
      .slice(-8)
      .map((e) => EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? '?');
    return `pending: ${[...pending, task].filter(Boolean).join('; ') || 'nothing'}; last events: ${last.join(', ')}`;
  } catch (err) {
    return `(could not describe it: ${String(err)})`;
  }
}

/** Starts one run (retrying while Temporal restarts) and waits for its outcome. */
async function runOne(
  stack: ChaosStack,
  s: Scenario,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<RunRecord> {
  const startedAt = Date.now();
  const client = stack.client;
  for (let attempt = 1; ; attempt++) {
    try {
      // Chaos starts runs and judges their ends; it does not wait for NSE to accept each call at start.
      if (s.operation) await client.startOperation(s.operation, { workflowId: s.workflowId, waitForAcceptance: false });
      else if (s.plan) await client.startProvisioning(s.plan, { workflowId: s.workflowId, waitForAcceptance: false });
      break;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) break; // an earlier attempt got through
      if (Date.now() - startedAt > 120_000 || stack.stopped) throw err;
      if (attempt === 1) log(`chaos: start of ${s.workflowId} failed (${String(err)}); retrying`);
      await delay(500);
    }
  }
  const handle = client.temporal.workflow.getHandle(s.workflowId);
  const giveUpAt = startedAt + timeoutMs;
  for (;;) {
    try {
      const result = await withDeadline(handle.result() as Promise<OperationResult | ProvisionResult>, giveUpAt);
      if (result === 'timeout') {
        log(`chaos: ${s.workflowId} still open after ${timeoutMs} ms; terminating it; ${await whereItWaits(handle)}`);
        await handle.terminate('chaos: run did not end in time').catch(() => undefined);
        return {
          scenario: s,
          outcome: 'Stuck',
          message: 'did not end in time',
          failureText: '',
          startedAt,
          endedAt: Date.now(),
        };
      }
      return {
        scenario: s,
        outcome: 'success',
        message: '',
        failureText: '',
        steps: 'steps' in result ? result.steps : undefined,
        adopted: 'adopted' in result ? result.adopted : undefined,
        objectId: 'objectId' in result ? result.objectId : undefined,
        startedAt,
        endedAt: Date.now(),
      };
    } catch (err) {
      if (err instanceof WorkflowFailedError) return { scenario: s, ...classify(err), startedAt, endedAt: Date.now() };
      if (Date.now() > giveUpAt || stack.stopped) throw err;
      await delay(500); // Temporal is restarting: ask again
    }
  }
}

/** `promise`, or `'timeout'` once the clock passes `deadline`; the timer never outlives the race. */
async function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The outcome of a failed run: its application failure type, or how Temporal ended it. */
function classify(err: WorkflowFailedError): Pick<RunRecord, 'outcome' | 'message' | 'failureText' | 'steps'> {
  const cause = err.cause;
  if (cause instanceof CancelledFailure)
    return { outcome: 'Cancelled', message: cause.message, failureText: cause.message };
  if (cause instanceof TerminatedFailure)
    return { outcome: 'Terminated', message: cause.message, failureText: cause.message };
  if (cause instanceof TimeoutFailure)
    return { outcome: 'TimedOut', message: cause.message, failureText: cause.message };
  let node: unknown = cause;
  while (node instanceof Error && !(node instanceof ApplicationFailure) && node.cause) node = node.cause;
  if (node instanceof ApplicationFailure) {
    const details = node.details ? [...node.details] : [];
    const steps = (details[0] as { steps?: StepReport[] } | undefined)?.steps;
    return {
      outcome: (node.type ?? 'ApplicationFailure') as Outcome,
      message: node.message,
      failureText: `${node.message}\n${JSON.stringify(details)}`,
      ...(steps ? { steps } : {}),
    };
  }
  const message = cause?.message ?? err.message;
  return { outcome: cause?.name ?? 'Unknown', message, failureText: message };
}

/**
 * Injects the harness faults when the simulator's traffic says the moment has come: worker SIGKILLs aimed at a
 * scenario's submit, between its polls or during its undo; a Temporal server restart and token expiries after the
 * k-th job read of the whole run (k seeded); cancellations of the op-cancel scenarios after their n-th read.
 */
class FaultController {
  readonly kills: Record<KillMoment, number> = { submit: 0, 'between-polls': 0, compensation: 0 };
  readonly events: HarnessEvent[] = [];
  private readonly byToken = new Map<string, Scenario>();
  private readonly readsByToken = new Map<string, number>();
  private readonly fired = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly restartAt: number[];
  private readonly expireAt: number[];
  private readonly restartDelays: Rng;
  private jobReads = 0;
  private workerSteps: Promise<void> = Promise.resolve();
  private serverBusy = false;

  constructor(
    private readonly stack: ChaosStack,
    scenarios: readonly Scenario[],
    rng: Rng,
    private readonly log: (line: string) => void,
    private readonly t0: number,
    plan: { serverRestarts: number; tokenExpiries: number },
  ) {
    for (const s of scenarios) this.byToken.set(s.token, s);
    const n = scenarios.length;
    // Runs average about six successful job reads and none has fewer than one: thresholds between 0.2 N and 2 N
    // are always reached. One threshold is drawn in each of `count` equal slices of that range, so faults of one kind
    // are spread over the run instead of piling onto neighbouring reads (two token expiries a few milliseconds apart
    // expire the token the worker has just signed in for: a different fault, see docs/reliability.md).
    const at = (count: number, label: string): number[] => {
      const r = rng.fork(label);
      const low = Math.ceil(n * 0.2);
      const slice = Math.max(1, Math.floor((n * 2 - low) / Math.max(1, count)));
      // Within the first half of each slice: neighbours stay at least half a slice of reads apart.
      return Array.from({ length: count }, (_, i) => low + i * slice + r.int(0, Math.floor(slice / 2)));
    };
    this.restartAt = at(plan.serverRestarts, 'restarts');
    this.expireAt = at(plan.tokenExpiries, 'expiries');
    this.restartDelays = rng.fork('restart-delays');
  }

  request(info: SimRequestInfo): void {
    const s = this.scenarioOf(info.name);
    const kill = s?.kill;
    if (!s || !kill) return;
    if (kill.moment === KillMoment.Submit && info.method === 'POST' && !info.path.startsWith('/v2.1/auth/')) {
      this.killOnce(s, 'its create request is at NSE');
    } else if (kill.moment === KillMoment.Compensation && kill.at === 'request' && info.method === 'DELETE') {
      this.killOnce(s, 'its undo request is at NSE');
    }
  }

  response(info: SimRequestInfo): void {
    if (info.method !== 'GET' || !/^\/v2\.1\/jobs\/[^/]+$/.test(info.path) || info.status !== 200) return;
    this.jobReads++;
    while (this.restartAt[0] !== undefined && this.jobReads >= this.restartAt[0]) {
      this.restartAt.shift();
      this.restartServer();
    }
    while (this.expireAt[0] !== undefined && this.jobReads >= this.expireAt[0]) {
      this.expireAt.shift();
      this.stack.expireTokens();
      this.record('token-expiry', `simulator clock moved past the token lifetime after job read ${this.jobReads}`);
    }
    const s = this.scenarioOf(info.name);
    if (!s) return;
    const reads = (this.readsByToken.get(s.token) ?? 0) + 1;
    this.readsByToken.set(s.token, reads);
    const running = info.jobWord === 'RUNNING' || info.jobWord === 'PENDING' || info.jobWord === 'WARNING';
    const kill = s.kill;
    if (kill?.moment === KillMoment.BetweenPolls && running) {
      this.killOnce(s, `its job answered ${info.jobWord} (read ${reads})`, kill.delayMs);
    } else if (kill?.moment === KillMoment.Compensation && kill.at === 'read' && this.isUndoRead(s, info)) {
      this.killOnce(s, 'its undo job was read');
    }
    if (s.cancelAfterReads !== undefined && reads >= s.cancelAfterReads && !this.fired.has(`cancel:${s.token}`)) {
      this.fired.add(`cancel:${s.token}`);
      this.track(this.cancel(s));
    }
  }

  /** An undo job is a delete job of the scenario's resource: its reads carry the resource's name. */
  private isUndoRead(s: Scenario, info: SimRequestInfo): boolean {
    const id = info.path.split('/').pop() ?? '';
    return this.stack.sim.sim.store.getJob(id)?.action === 'delete' && info.name?.includes(`${s.token}-`) === true;
  }

  private scenarioOf(name: string | undefined): Scenario | undefined {
    const token = name?.match(/r\d{5}(?=-)/)?.[0];
    return token ? this.byToken.get(token) : undefined;
  }

  private killOnce(s: Scenario, why: string, delayMs = 0): void {
    const key = `kill:${s.token}`;
    if (this.fired.has(key) || !s.kill) return;
    this.fired.add(key);
    const moment = s.kill.moment;
    this.onWorker(async () => {
      if (delayMs > 0) await delay(delayMs);
      // A kill drawn while the worker was down for another one waited for it in the chain: start it first.
      if (!this.stack.worker.alive) await this.startWorker();
      const pid = this.stack.worker.pid;
      await this.stack.worker.kill9();
      this.kills[moment]++;
      this.record('worker-kill', `SIGKILL worker pid ${pid} (${moment}) for ${s.workflowId}: ${why}`);
      await delay(this.restartDelays.int(0, 1_000));
      await this.startWorker();
    });
  }

  /** Starts a worker again (after a kill or a crash), retrying while Temporal is down. */
  restartWorker(reason: string): void {
    this.onWorker(async () => {
      if (this.stack.worker.alive) return;
      this.log(`chaos: restarting the worker (${reason})`);
      await this.startWorker();
    });
  }

  /**
   * Kills and restarts of the worker run one after another: a kill drawn while the worker is down for another is
   * carried out after it, never skipped (a skipped kill made the suite's fault coverage depend on timing).
   */
  private onWorker(step: () => Promise<void>): void {
    const next = this.workerSteps.then(step);
    this.workerSteps = next.catch(() => undefined);
    this.track(next);
  }

  private async startWorker(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.stack.worker.start();
        return;
      } catch (err) {
        if (attempt >= 60 || this.stack.stopped) throw err;
        await delay(1_000); // Temporal may be restarting: the worker cannot connect yet
      }
    }
  }

  private restartServer(): void {
    if (this.serverBusy) return;
    this.serverBusy = true;
    this.track(
      (async () => {
        try {
          const started = Date.now();
          await this.stack.restartServer();
          this.record(
            'server-restart',
            `Temporal dev server restarted on the same SQLite file in ${Date.now() - started} ms`,
          );
        } finally {
          this.serverBusy = false;
        }
      })(),
    );
  }

  private async cancel(s: Scenario): Promise<void> {
    const handle = this.stack.client.temporal.workflow.getHandle(s.workflowId);
    for (let attempt = 1; attempt <= 60; attempt++) {
      try {
        await handle.cancel();
        this.record('cancel', `cancelled ${s.workflowId} after ${s.cancelAfterReads} job reads`);
        return;
      } catch (err) {
        if (this.stack.stopped) throw err;
        await delay(1_000); // Temporal is restarting
      }
    }
  }

  private record(kind: HarnessEvent['kind'], detail: string): void {
    this.events.push({ kind, atMs: Date.now() - this.t0, detail });
    this.log(`chaos: ${detail}`);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((err: unknown) => this.log(`chaos: fault action failed: ${String(err)}`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Waits for fault actions still running (a worker restart, say). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/**
 * Outcomes against expectations. A nameless create's expectation is known only afterwards (success for the request
 * NSE took first, NseRejected for the others): its run counts as expected when its outcome broke no invariant.
 */
function tally(
  runs: readonly RunRecord[],
  violations: readonly Violation[],
): Record<string, { actual: number; expected: number }> {
  const wrong = new Set(violations.filter((v) => v.invariant === 'outcome').map((v) => v.workflowId));
  const out: Record<string, { actual: number; expected: number }> = {};
  for (const run of runs) {
    const s = run.scenario;
    const expected = s.contention !== undefined && !wrong.has(s.workflowId) ? run.outcome : s.expected;
    (out[run.outcome] ??= { actual: 0, expected: 0 }).actual++;
    (out[expected] ??= { actual: 0, expected: 0 }).expected++;
  }
  return out;
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[item] = (out[item] ?? 0) + 1;
  return out;
}

function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
}

function machine(): string {
  const cpus = os.cpus();
  const gb = Math.round(os.totalmem() / 2 ** 30);
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${gb} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}
