/**
 * nseOperationWorkflow on the real Temporal dev server against the NSE simulator over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { CancelledFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import { nseOperationWorkflow } from '../../src/workflows';
import {
  operationStatusQuery,
  SearchAttributes,
  type OperationInput,
  type OperationResult,
} from '../../src/shared/workflow-api';
import type { CompensationReport } from '../../src/shared/workflow-api';
import type { SimRule } from '../helpers/simulator';
import { replayAndMaybeRecord, waitFor } from '../helpers/scenario';
import { rootFailure, settle, type Settled } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';
import { readRunWaits } from '../../src/client/pending';
import { describeWait } from '../../src/cli/format';
import { FAST_POLL, hostgroupOperation } from '../helpers/fixtures';

const FAST = FAST_POLL;

/** A rule that keeps jobs of names starting with `prefix` RUNNING for `reads` reads, then NORMAL. */
function runningFor(prefix: string, reads: number): SimRule {
  return { match: { name: prefix, method: 'POST' }, states: [...Array<'RUNNING'>(reads).fill('RUNNING'), 'NORMAL'] };
}

describe('nseOperationWorkflow', () => {
  const harness = useTestWorker({ queue: 'operation', per: 'each' });

  async function start(input: OperationInput): Promise<WorkflowHandle<typeof nseOperationWorkflow>> {
    return await harness.temporal.client.workflow.start(nseOperationWorkflow, {
      taskQueue: harness.taskQueue,
      workflowId: `test-${randomUUID()}`,
      args: [input],
    });
  }

  async function run(
    input: OperationInput,
    record?: string,
  ): Promise<Settled<OperationResult> & { handle: WorkflowHandle }> {
    const handle = await start(input);
    const settled = await settle<OperationResult>(handle);
    if (record) await replayAndMaybeRecord(handle, `nseOperationWorkflow-${record}`);
    return { ...settled, handle };
  }

  function compensationOf(error: unknown): CompensationReport | undefined {
    const details = rootFailure(error)?.details?.[0] as { compensation?: CompensationReport } | undefined;
    return details?.compensation;
  }

  it('returns the finished job once NSE reports NORMAL, recording a WARNING on the way', async () => {
    const { result, error, handle } = await run(hostgroupOperation('warn-hg01'), 'warning-then-normal');
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ operation: 'create-hostgroup', adopted: false, job: { state: 'NORMAL' } });
    expect(result?.objectId).toEqual(result?.job?.objectId);
    const status = await handle.query(operationStatusQuery);
    expect(status).toMatchObject({ phase: 'succeeded', jobState: 'NORMAL' });
    expect(status.warnings).toBeGreaterThanOrEqual(1);
    const ledger = await harness.sim.ledger();
    expect(ledger.events.filter((e) => e.kind === 'create')).toHaveLength(1);
  });

  it('undoes a create whose job ends ERROR and fails with NseJobFailed', async () => {
    const { error } = await run(hostgroupOperation('fail-hg02'), 'error-compensated');
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(rootFailure(error)).toMatchObject({ type: FailureType.NseJobFailed, nonRetryable: true });
    expect(compensationOf(error)).toMatchObject({ outcome: 'compensated', operation: 'delete-hostgroup' });
    const ledger = await harness.sim.ledger();
    const created = ledger.events.find((e) => e.kind === 'create');
    expect(ledger.events.map((e) => [e.kind, e.id])).toEqual([
      ['create', created?.id],
      ['delete', created?.id],
    ]);
  });

  it('undoes what a PARTIAL_FAILURES job created', async () => {
    const { error } = await run(hostgroupOperation('partial-hg03'), 'partial-failures-compensated');
    expect(rootFailure(error)).toMatchObject({ type: FailureType.NseJobFailed });
    expect(rootFailure(error)?.message).toContain('PARTIAL_FAILURES');
    expect(compensationOf(error)).toMatchObject({ outcome: 'compensated' });
    const kinds = (await harness.sim.ledger()).events.map((e) => e.kind);
    expect(kinds).toEqual(['create', 'delete']);
  });

  it('reports manual clean-up when NSE has no undo for the failed resource', async () => {
    // A bucket needs an Operational object-storage account first.
    const account = await run({
      operation: 'create-objectstorage-account',
      input: { subtenant_id: SIM_FIXTURES.subtenantId, quota_gb: 100 },
      poll: FAST,
    });
    expect(account.error).toBeUndefined();
    const { error } = await run({
      operation: 'create-bucket',
      input: { name: 'fail-bucket-01', subtenant_id: SIM_FIXTURES.subtenantId },
      poll: FAST,
    });
    expect(rootFailure(error)).toMatchObject({ type: FailureType.NseJobFailed });
    expect(rootFailure(error)?.message).toContain('manual clean-up needed');
    expect(compensationOf(error)).toMatchObject({ outcome: 'manual-cleanup-needed' });
    expect((await harness.sim.ledger()).events.filter((e) => e.kind === 'delete')).toHaveLength(0);
  });

  it('fails with CompensationFailed when the undo job fails too', async () => {
    await harness.sim.setRules([{ match: { method: 'DELETE', path: '/v2.1/hostgroups/*' }, outcome: 'ERROR' }]);
    const { error } = await run(hostgroupOperation('fail-hg04'), 'compensation-failed');
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.CompensationFailed });
    expect(failure?.message).toContain('ended ERROR');
    expect(failure?.message).toContain('delete-hostgroup');
  });

  it('stops at the poll deadline with PollDeadlineExceeded naming the job, without compensating', async () => {
    const { error } = await run(hostgroupOperation('slow-hg05', { ...FAST, timeoutMs: 150 }), 'deadline');
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.PollDeadlineExceeded, nonRetryable: true });
    const ledger = await harness.sim.ledger();
    const jobId = ledger.events[0]?.jobId;
    expect(failure?.message).toContain(String(jobId));
    expect(ledger.events.map((e) => e.kind)).toEqual(['create']);
  });

  it('on cancel stops polling, waits for the accepted job, undoes it and ends cancelled', async () => {
    await harness.sim.setRules([runningFor('long-hg06', 4)]);
    const handle = await start(hostgroupOperation('long-hg06'));
    await waitFor('the job to be polled', async () => {
      const status = await handle.query(operationStatusQuery);
      return status.polls >= 2 ? status : undefined;
    });
    await handle.cancel();
    const { error } = await settle(handle);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const status = await handle.query(operationStatusQuery);
    expect(status).toMatchObject({ phase: 'cancelled', jobState: 'NORMAL', compensation: { outcome: 'compensated' } });
    expect((await harness.sim.ledger()).events.map((e) => e.kind)).toEqual(['create', 'delete']);
    await replayAndMaybeRecord(handle, 'nseOperationWorkflow-cancelled');
  });

  it('continues as new after the poll cap and keeps status and search attributes right', async () => {
    await harness.sim.setRules([runningFor('long-hg07', 6)]);
    const { result, error, handle } = await run(
      hostgroupOperation('long-hg07', { ...FAST, maxPollsPerRun: 3 }),
      'continued-as-new',
    );
    expect(error).toBeUndefined();
    expect(result?.job?.state).toBe('NORMAL');
    const description = await handle.describe();
    expect(description.runId).not.toEqual(
      (handle as WorkflowHandle & { firstExecutionRunId?: string }).firstExecutionRunId,
    );
    const status = await handle.query(operationStatusQuery);
    expect(status.phase).toBe('succeeded');
    expect(status.polls).toBe(result?.polls);
    expect(result?.polls).toBe(7);
    expect(description.typedSearchAttributes.get(SearchAttributes.NseJobState)).toBe('NORMAL');
    expect(description.typedSearchAttributes.get(SearchAttributes.NseJobId)).toBe(result?.job?.id);
    // Exactly one job read per poll, across every run of the chain.
    expect(await harness.sim.requests('GET', '/v2.1/jobs/:id')).toHaveLength(result?.polls ?? -1);
  });

  it('adopts the job of a submit whose answer was lost instead of creating a second resource', async () => {
    await harness.sim.setRules([
      { match: { method: 'POST', path: '/v2.1/hostgroups' }, faults: { dropAfterProcessing: { times: 1 } } },
    ]);
    const { result, error } = await run(hostgroupOperation('hg08-adopted'), 'ambiguous-submit-adopted');
    expect(error).toBeUndefined();
    expect(result?.adopted).toBe(true);
    const ledger = await harness.sim.ledger();
    expect(ledger.events.filter((e) => e.kind === 'create')).toHaveLength(1);
    expect(await harness.sim.requests('POST', '/v2.1/hostgroups')).toHaveLength(1);
  });

  it('takes the outcome from the object when NSE forgets a finished job (404 after it was seen)', async () => {
    await harness.sim.setRules([
      { match: { name: 'gone-hg14' }, faults: { vanishAfterTerminal: { terminalReads: 0 } } },
    ]);
    const { result, error } = await run(hostgroupOperation('gone-hg14'), 'vanished-job-object-operational');
    expect(error).toBeUndefined();
    expect(result?.job).toMatchObject({ state: 'NORMAL' });
    expect(result?.job?.statusDetail).toContain('no longer kept by NSE');
    const reads = await harness.sim.requests('GET', '/v2.1/jobs/:id');
    expect(reads.at(-1)?.status).toBe(404);
    expect(await harness.sim.requests('GET', '/v2.1/hostgroups/:id')).toHaveLength(1);
  });

  it('fails with JobVanished naming the job when the object cannot tell the outcome', async () => {
    const { result: disk } = await run({
      operation: 'create-disk',
      input: {
        subtenant_id: SIM_FIXTURES.subtenantId,
        zone: SIM_FIXTURES.zone,
        name: 'disk-hg15',
        disk_path: '/vol/d15',
        protocol: 'iscsi',
        os_type: 'linux',
        hostgroup_mappings: [],
        service_level: 'standard',
        size_gb: 10,
      },
      poll: FAST,
    });
    await harness.sim.setRules([
      { match: { name: 'snap-hg15' }, faults: { vanishAfterTerminal: { terminalReads: 0 } } },
    ]);
    const { error } = await run({
      operation: 'create-disk-snapshot',
      input: { disk_id: disk?.objectId, name: 'snap-hg15' },
      poll: FAST,
    });
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.JobVanished, nonRetryable: true });
    const jobId = (await harness.sim.ledger()).events.find((e) => e.name === 'snap-hg15')?.jobId;
    expect(failure?.message).toContain(String(jobId));
  });

  it.each(['activity', 'long-poll'] as const)('reaches NORMAL in %s poll mode', async (mode) => {
    const { result, error } = await run(
      hostgroupOperation(`hg09-${mode}`, { ...FAST, mode, longPollSeconds: 5 }),
      `poll-mode-${mode}`,
    );
    expect(error).toBeUndefined();
    expect(result?.job?.state).toBe('NORMAL');
  });

  it('retries transient read failures and still finishes', async () => {
    await harness.sim.setRules([{ match: { method: 'GET', path: '/v2.1/jobs/*' }, faults: { http500: { times: 3 } } }]);
    const { result, error } = await run(hostgroupOperation('hg10-transient'));
    expect(error).toBeUndefined();
    expect(result?.job?.state).toBe('NORMAL');
    const reads = await harness.sim.requests('GET', '/v2.1/jobs/:id');
    expect(reads.filter((r) => r.status === 500)).toHaveLength(3);
  });

  it('fails with non-retryable InvalidInput naming the field, before any NSE call', async () => {
    const bad = hostgroupOperation('hg11');
    bad.input.protocol = 'carrier-pigeon';
    const { error } = await run(bad);
    expect(rootFailure(error)).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
    expect(rootFailure(error)?.message).toContain('input.protocol');
    expect(await harness.sim.requests()).toHaveLength(0);
  });

  it('is found through its NseJobId search attribute', async () => {
    const { result, handle } = await run(hostgroupOperation('hg12-visible'));
    const jobId = result?.job?.id as string;
    const query = `NseJobId = '${jobId}' AND NsePhase = 'succeeded' AND NseObjectType = 'hostgroup' AND NseTenantId = '${SIM_FIXTURES.tenantId}'`;
    const found = await waitFor('visibility to index the run', async () => {
      const ids: string[] = [];
      for await (const execution of harness.temporal.client.workflow.list({ query })) {
        ids.push(execution.workflowId);
      }
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toContain(handle.workflowId);
  });

  it('spends local-mode history on each poll cycle as designed (6 events)', async () => {
    await harness.sim.setRules([runningFor('long-hg13', 8)]);
    const { handle, error } = await run(hostgroupOperation('long-hg13-local', { ...FAST, mode: 'local' }));
    expect(error).toBeUndefined();
    const history = await handle.fetchHistory();
    const timerFired = (history.events ?? []).flatMap((event, index) =>
      event.timerFiredEventAttributes ? [index] : [],
    );
    const gaps = timerFired.slice(1).map((index, i) => index - (timerFired[i] as number));
    gaps.sort((a, b) => a - b);
    expect(gaps.length).toBeGreaterThan(5);
    expect(gaps[Math.floor(gaps.length / 2)]).toBe(6);
  });

  it('spends no history event on a read that finds the job unchanged in activity mode, at most 6 per change', async () => {
    // A job that changes every 2.5 s (RUNNING, then two changes of its record alone), then ends: reads in between
    // find it as it was.
    await harness.sim.setRules([
      {
        match: { name: 'still-hg14', method: 'POST' },
        states: ['RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'],
        advance: { everyMs: 2_500 },
      },
    ]);
    const { handle, error, result } = await run(hostgroupOperation('still-hg14'), 'activity-unchanged-reads');
    expect(error).toBeUndefined();
    expect(result?.job?.state).toBe('NORMAL');
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduledAt = new Map<string, number>();
    events.forEach((event, index) => {
      if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitJobChange')
        scheduledAt.set(String(event.eventId), index);
    });
    const calls = events.flatMap((event, index) => {
      const started = event.activityTaskStartedEventAttributes;
      const scheduled = scheduledAt.get(String(started?.scheduledEventId ?? ''));
      return started && scheduled !== undefined ? [{ scheduled, started: index, attempt: started.attempt ?? 1 }] : [];
    });
    const reads = (await harness.sim.requests('GET', '/v2.1/jobs/:id')).length;
    expect(result?.polls).toBe(reads);
    // Each call returned one change; every other read was a retried attempt of a call.
    const unchangedReads = reads - calls.length;
    expect(unchangedReads).toBeGreaterThanOrEqual(2);
    // A retried attempt writes no event: each call's Started (written when it completed) follows its Scheduled.
    expect(calls.map((call) => call.started - call.scheduled)).toEqual(calls.map(() => 1));
    expect(calls.reduce((sum, call) => sum + call.attempt - 1, 0)).toBeGreaterThanOrEqual(unchangedReads);
    // A change costs the call's three events and the workflow task that reads it (6), and a change of the state
    // word one more: the upsert of NseJobState.
    const completions = calls.map((call) => call.started + 1);
    const perChange = completions.slice(1).map((index, i) => {
      const from = completions[i] as number;
      const upserts = events.slice(from, index).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
      return index - from - upserts.length;
    });
    expect(perChange.length).toBeGreaterThanOrEqual(2);
    expect(perChange).toEqual(perChange.map(() => 6));
  });

  it("the stack trace of a waiting run (the Web UI's tab) shows where it waits, at most 6 frames per promise", async () => {
    await harness.sim.setRules([
      { match: { name: 'stack-hg16', method: 'POST' }, states: ['RUNNING', 'NORMAL'], advance: { everyMs: 60_000 } },
    ]);
    const handle = await start(hostgroupOperation('stack-hg16'));
    await waitFor('the run reading its job', async () => {
      const { pending } = await readRunWaits(harness.temporal.client, handle.workflowId);
      return pending.some((p) => p.activity === 'awaitJobChange') ? true : undefined;
    });
    // The SDK's query behind the Web UI's "Stack Trace" tab: one stack per pending promise, blank-line separated, at most
    // src/workflows/stack-depth.ts's 6 frames (not imported here: it sets the depth of the process that loads it).
    const stacks = (await handle.query<string>('__stack_trace')).split(/\n\s*\n/).filter((stack) => stack.trim());
    for (const stack of stacks) expect(stack.trim().split('\n').length).toBeLessThanOrEqual(6);
    // Where it waits, in the project's own files: reading the job for the submit, and the run's acceptance.
    expect(stacks.join('\n')).toMatch(
      /at read \(src\/workflows\/await-job\.ts:\d+:\d+\)\n\s+at run \(src\/workflows\/submit\.ts/,
    );
    expect(stacks.join('\n')).toContain('at acceptance (src/workflows/operation.ts:');
    await handle.terminate('test over');
  });

  it('shows a read that found the job unchanged as a wait, and on cancel keeps reading until the job ends, then undoes', async () => {
    await harness.sim.setRules([
      { match: { name: 'still-hg15', method: 'POST' }, states: ['RUNNING', 'NORMAL'], advance: { everyMs: 4_000 } },
    ]);
    const handle = await start(hostgroupOperation('still-hg15'));
    const wait = await waitFor('a read that found the job unchanged', async () => {
      const { pending } = await readRunWaits(harness.temporal.client, handle.workflowId);
      const call = pending.find((p) => p.activity === 'awaitJobChange' && p.lastFailure?.message.includes('(read '));
      return call ? describeWait(call) : undefined;
    });
    expect(wait).toMatch(
      /^waiting for a change: NSE job \S+ still [A-Z_]+ \(read (once|\d+ times) since its last change\)(; next read at \S+)?$/,
    );
    expect(await handle.query(operationStatusQuery)).toMatchObject({ phase: 'polling' });
    await handle.cancel();
    const { error } = await settle(handle);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const status = await handle.query(operationStatusQuery);
    expect(status).toMatchObject({ phase: 'cancelled', jobState: 'NORMAL', compensation: { outcome: 'compensated' } });
    expect((await harness.sim.ledger()).events.map((e) => e.kind)).toEqual(['create', 'delete']);
    await replayAndMaybeRecord(handle, 'nseOperationWorkflow-cancelled-while-unchanged');
  });

  it.each(['local', 'activity'] as const)(
    'upserts its search attributes at most once per workflow task in %s mode, ending with the final values',
    async (mode) => {
      await harness.sim.setRules([runningFor('upsert-hg16', 2)]);
      const { handle, result, error } = await run(hostgroupOperation(`upsert-hg16-${mode}`, { ...FAST, mode }));
      expect(error).toBeUndefined();
      const ours = new Set(Object.values(SearchAttributes).map((key) => key.name));
      const upsertsPerTask: number[] = [];
      for (const event of (await handle.fetchHistory()).events ?? []) {
        if (event.workflowTaskCompletedEventAttributes) upsertsPerTask.push(0);
        // The SDK upserts TemporalChangeVersion on its own when a run first meets a patch: not ours to count.
        const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
        if (Object.keys(fields).some((name) => ours.has(name))) upsertsPerTask[upsertsPerTask.length - 1]! += 1;
      }
      expect(Math.max(...upsertsPerTask)).toBe(1);
      const attributes = (await handle.describe()).typedSearchAttributes;
      expect(attributes.get(SearchAttributes.NsePhase)).toBe('succeeded');
      expect(attributes.get(SearchAttributes.NseJobState)).toBe('NORMAL');
      expect(attributes.get(SearchAttributes.NseJobId)).toBe(result?.job?.id);
      expect(attributes.get(SearchAttributes.NseObjectType)).toBe('hostgroup');
    },
  );
});
