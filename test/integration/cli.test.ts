/**
 * The `nse-flow` CLI as a person or a script uses it: child processes against the test dev server and a simulator,
 * checking output and exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeStackConnection } from '../../src/cli/stack-connection';
import { SearchAttributes } from '../../src/shared/workflow-api';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { hostgroupFields } from '../helpers/fixtures';
import { waitFor } from '../helpers/scenario';
import { testAddress } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const BIN = path.join(__dirname, '..', '..', 'bin', 'nse-flow.js');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function hostgroupInput(name: string): string {
  return JSON.stringify(hostgroupFields(name));
}

describe('nse-flow CLI', () => {
  const harness = useTestWorker({ queue: 'cli' });

  /** Runs the CLI with exactly `env` besides PATH and HOME. */
  function cliIn(env: Record<string, string>, args: string[]): Promise<CliRun> {
    return new Promise((resolve) => {
      const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
      execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Runs the CLI configured through the environment for the test's Temporal, task queue and simulator. */
  function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return cliIn(
      {
        TEMPORAL_ADDRESS: testAddress(),
        NSE_FLOW_TASK_QUEUE: harness.taskQueue,
        NSE_BASE_URL: harness.sim.url,
        NSE_USERNAME: harness.sim.username,
        NSE_PASSWORD: harness.sim.password,
        ...env,
      },
      args,
    );
  }

  it('lists the operation catalogue with each undo', async () => {
    const { code, stdout } = await cli(['operations']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/create-disk\s+POST\s+\/v2\.1\/disks\s+undo: delete-disk/);
    expect(stdout).toContain('create-bucket');
    expect(stdout).toContain('NSE cannot delete buckets');
  });

  it('runs an operation with --wait and exits 0 with its outcome', async () => {
    const { code, stdout, stderr } = await cli([
      'run',
      'create-hostgroup',
      '--tenant',
      SIM_FIXTURES.tenantId,
      '--input',
      hostgroupInput('cli-hg1'),
      '--poll-interval',
      '20',
      '--wait',
    ]);
    expect(stderr).toContain('started nse-flow-op-create-hostgroup-');
    expect(stdout).toMatch(/^completed: create-hostgroup object [0-9a-f]{24} after \d+ polls$/m);
    expect(code).toBe(0);
  });

  it('prints JSON for scripts with --json', async () => {
    const { code, stdout } = await cli([
      '--json',
      'run',
      'create-hostgroup',
      '--input',
      hostgroupInput('cli-hg2'),
      '--poll-interval',
      '20',
      '--wait',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { status: string; result: { job: { state: string } } };
    expect(printed).toMatchObject({ status: 'completed', result: { job: { state: 'NORMAL' } } });
  });

  it('exits 1 with the failure type when the run fails', async () => {
    const { code, stdout } = await cli([
      'run',
      'create-hostgroup',
      '--input',
      hostgroupInput('fail-cli-hg3'),
      '--poll-interval',
      '20',
      '--wait',
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('failed (NseJobFailed)');
    expect(stdout).toContain('ended ERROR');
    // The details below the message: the job with its tasks, and the undo.
    expect(stdout).toMatch(/^ {2}job [0-9a-f]{24}: ERROR; /m);
    expect(stdout).toMatch(/^ {4}tasks:\n {6}- \S+: ERROR; .*\(.*resourceType \S+/m);
    expect(stdout).toMatch(/^ {2}compensation: compensated; delete-hostgroup job [0-9a-f]{24} ended NORMAL/m);
  });

  it('exits 2 on bad input, naming the field, without calling NSE', async () => {
    const before = (await harness.sim.requests()).length;
    const { code, stderr } = await cli([
      'run',
      'create-hostgroup',
      '--input',
      '{"name":"x","protocol":"smoke-signals"}',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('input.protocol');
    expect((await harness.sim.requests()).length).toBe(before);
    expect((await cli(['run', 'create-hostgroup', '--input', '{not json'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('exits 3 when Temporal cannot be reached', async () => {
    const { code, stderr } = await cli(['run', 'create-hostgroup', '--input', hostgroupInput('cli-hg4')], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(code).toBe(3);
    expect(stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  });

  it('shows status, cancels, and lists runs by search attribute', async () => {
    // The job's reads answer a state word nse-flow does not know, which never advances it: the run keeps polling,
    // however slow the machine, until the test lifts the rule after its cancel.
    await harness.sim.setRules([
      { match: { operation: 'create-hostgroup', name: 'cli-long' }, faults: { unknownState: {} } },
    ]);
    const started = await cli([
      '--json',
      'run',
      'create-hostgroup',
      '--input',
      hostgroupInput('cli-long-hg5'),
      '--poll-interval',
      '20',
    ]);
    expect(started.code).toBe(0);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    const status = await waitFor('the run to poll', async () => {
      const shown = await cli(['status', workflowId]);
      return shown.code === 0 && /polling job [0-9a-f]{24}/.test(shown.stdout) ? shown : undefined;
    });
    expect(status.stdout).toContain("create hostgroup 'cli-long-hg5'");
    const listed = await waitFor('visibility to list the run', async () => {
      const shown = await cli(['--json', 'list', '--phase', 'polling']);
      const runs = JSON.parse(shown.stdout) as { workflowId: string }[];
      return runs.some((r) => r.workflowId === workflowId) ? runs : undefined;
    });
    expect(listed.find((r) => r.workflowId === workflowId)).toMatchObject({
      objectType: 'hostgroup',
      phase: 'polling',
    });
    const cancelled = await cli(['cancel', workflowId]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`cancellation requested for ${workflowId}`);
    // NSE cannot cancel a job: the run says it waits for its job to end before it undoes it.
    const jobId = /polling job ([0-9a-f]{24})/.exec(status.stdout)?.[1] ?? '';
    await waitFor(
      'the status to show the pending cancel',
      async () => {
        const shown = await cli(['status', workflowId]);
        return shown.stdout.includes(`cancel requested: waiting for job ${jobId} to end, then undo`)
          ? shown
          : undefined;
      },
      150_000,
    ); // a CLI process per look, on a loaded machine
    await harness.sim.setRules([]); // the job may end now; the run waits for it (NSE cannot cancel jobs), then undoes it
    const result = await cli(['result', workflowId]);
    expect(result.stdout).toMatch(new RegExp(`^cancelled: ${workflowId}\n {2}undo: compensated; `, 'm'));
    expect(result.code).toBe(4);
    expect((await harness.sim.ledger()).events.filter((e) => e.name === 'cli-long-hg5').map((e) => e.kind)).toEqual([
      'create',
      'delete',
    ]);
  }, 400_000); // a CLI process per look

  it('says what a run waits on: started at once, then each failed attempt of its NSE call and why', async () => {
    // NSE answers the create 500 until the test lifts the rule: the run retries its submit, attempt after attempt.
    await harness.sim.setRules([
      { match: { operation: 'create-hostgroup', name: 'cli-waits' }, faults: { http500: {} } },
    ]);
    const id = `cli-waits-${Date.now()}`;
    const waiting = cli(['run', 'create-hostgroup', '--id', id, '--input', hostgroupInput('cli-waits-hg'), '--wait']);
    const status = await waitFor(
      'status to show the failed attempt',
      async () => {
        const shown = await cli(['status', id]);
        return /waiting on submitOperation, attempt \d+; last failure NseUnavailable: /.test(shown.stdout)
          ? shown
          : undefined;
      },
      150_000, // a CLI process per look, on a loaded machine
    );
    expect(status.stdout).toContain('failed with HTTP 500');
    await harness.sim.setRules([]);
    const { code, stdout, stderr } = await waiting;
    expect(stderr.split('\n')[0]).toBe(`started ${id}`);
    expect(stderr).toMatch(/waiting on submitOperation, attempt \d+; last failure NseUnavailable: /);
    expect(stdout).toMatch(/^completed: create-hostgroup object [0-9a-f]{24}/m);
    expect(code).toBe(0);
  }, 300_000);

  it("keeps NSE's reason for a refusal, in the message and the details", async () => {
    const first = await cli(['run', 'create-hostgroup', '--input', hostgroupInput('cli-twice-hg'), '--wait']);
    expect(first.code).toBe(0);
    const { code, stdout } = await cli([
      '--json',
      'run',
      'create-hostgroup',
      '--input',
      hostgroupInput('cli-twice-hg'),
      '--wait',
    ]);
    expect(code).toBe(1);
    const failed = JSON.parse(stdout) as { failureType: string; message: string; details: unknown[] };
    expect(failed.failureType).toBe('NseRejected');
    expect(failed.message).toMatch(/HTTP 412.*NSE said: Precondition failed\.; /);
    expect(failed.details[0]).toMatchObject({
      status: 412,
      userMessage: 'Precondition failed.',
      verboseMessage: expect.stringContaining('cli-twice-hg'),
    });
  }, 180_000);

  it('exits 2 for bad usage and 3 for what it cannot reach, naming what it tried', async () => {
    const [query, status, decide, password, nse, worker] = await Promise.all([
      cli(['list', '--query', 'NoSuchThing ==== 1']),
      cli(['list', '--status', 'bogus']),
      cli(['decide', 'no-such-run', 'keep']),
      cli(['jobs'], { NSE_PASSWORD: 'not-the-password' }),
      cli(['jobs'], { NSE_BASE_URL: 'http://127.0.0.1:1/api' }),
      cli(['worker'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    ]);
    expect({ code: query.code, said: query.stderr }).toEqual({ code: 2, said: expect.stringContaining('--query') });
    expect({ code: status.code, said: status.stderr }).toEqual({
      code: 2,
      said: expect.stringContaining('must be one of Running, Completed, Failed'),
    });
    expect({ code: decide.code, said: decide.stderr }).toEqual({
      code: 2,
      said: expect.stringContaining('no-such-run: cannot decide'),
    });
    expect({ code: password.code, said: password.stderr }).toEqual({
      code: 2,
      said: expect.stringContaining(`NSE at ${harness.sim.url} refused the credentials (HTTP 401)`),
    });
    expect({ code: nse.code, said: nse.stderr }).toEqual({
      code: 3,
      said: expect.stringContaining('cannot reach NSE at http://127.0.0.1:1/api'),
    });
    expect({ code: worker.code, said: worker.stderr }).toEqual({
      code: 3,
      said: expect.stringContaining('cannot reach Temporal at 127.0.0.1:1: connection refused'),
    });
    expect(worker.stderr).not.toContain('tonic');
  }, 300_000);

  it('provisions a plan file: without --wait it answers once NSE accepted the first step, then --wait follows', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-cli-'));
    const plan = path.join(dir, 'plan.json');
    writeFileSync(
      plan,
      JSON.stringify({
        name: 'cli-plan',
        steps: [
          {
            id: 'group',
            operation: 'create-objectiam-group',
            input: {
              name: 'cli-group',
              subtenant_id: SIM_FIXTURES.otherSubtenantId,
              s3_policy: { Statement: [{ Effect: 'Allow' }] },
            },
          },
          {
            id: 'user',
            operation: 'create-objectiam-user',
            input: {
              display_name: 'cli-user',
              subtenant_id: SIM_FIXTURES.otherSubtenantId,
              sg_group_membership: ['${steps.group.objectId}'],
            },
          },
        ],
        poll: { initialIntervalMs: 20 },
      }),
    );
    const key = `cli-${Date.now()}`;
    const accepted = await cli(['--json', 'provision', plan, '--idempotency-key', key]);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({
      workflowId: `nse-flow-plan-${key}`,
      step: 'group',
      nseJobId: expect.stringMatching(/^[0-9a-f]{24}$/),
    });
    const { code, stdout } = await cli(['provision', plan, '--idempotency-key', key, '--wait']);
    expect(stdout).toMatch(/^completed plan cli-plan: group=[0-9a-f]{24}, user=[0-9a-f]{24}$/m);
    expect(code).toBe(0);
    expect((await cli(['provision', path.join(dir, 'missing.json')])).code).toBe(2);
  }, 180_000); // three CLI processes one after the other, one following a plan to its end

  it('provisions a bulk from an items file (--each), then redrives it', async () => {
    const bulk = path.join(__dirname, '..', '..', 'examples', 'bulk', 'hostgroups.json');
    const id = `cli-bulk-${Date.now()}`;
    const { code, stdout } = await cli([
      'provision',
      '--each',
      bulk,
      '--id',
      id,
      '--tolerated-failure-percent',
      '0',
      '--wait',
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^failed \(BulkFailed\): bulk hostgroups: 1 failed item is more than the tolerated 0%/m);
    expect(stdout).toMatch(
      /^ {4}- demo-fail: failed; NSE job \S+ \(create hostgroup 'fail-demo-hosts'.* ended ERROR: /m,
    ); // each item by its key, its reason whole
    const redriven = await cli(['--json', 'redrive', id]);
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toMatchObject({ workflowId: expect.stringMatching(`^${id}-redrive-`) });
    const again = await cli(['redrive', id]);
    expect(again.stderr).toContain(
      `${id} was already redriven (once per failed run): see nse-flow status ${id}-redrive-`,
    );
    expect(again.code).toBe(2);
    expect((await cli(['redrive', 'no-such-run'])).code).toBe(2);
    expect((await cli(['provision', '--each', bulk, '--max-concurrency', '0'])).code).toBe(2);
  }, 180_000); // six CLI processes one after the other

  it('prints every step of a failed plan and what was undone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-cli-'));
    const plan = path.join(dir, 'plan.json');
    writeFileSync(
      plan,
      JSON.stringify({
        name: 'cli-failing-plan',
        steps: [
          { id: 'group', operation: 'create-hostgroup', input: hostgroupFields('cli-plan-hg6') },
          { id: 'second', operation: 'create-hostgroup', input: hostgroupFields('fail-cli-plan-hg7') },
        ],
        poll: { initialIntervalMs: 20 },
      }),
    );
    const { code, stdout } = await cli(['provision', plan, '--wait']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^failed \(ProvisioningFailed\): plan cli-failing-plan: step 'second' failed/m);
    expect(stdout).toMatch(
      /^ {2}steps:\n {4}- group: compensated; .*\(operation create-hostgroup, .*objectId [0-9a-f]{24}/m,
    );
    expect(stdout).toMatch(/^ {4}- second: failed; NSE job [0-9a-f]{24} .*ended ERROR/m);
  });

  it('lists NSE jobs of a tenant across every page', async () => {
    const { code, stdout } = await cli(['--json', 'jobs', '--tenant', SIM_FIXTURES.tenantId, '--limit', '2', '--all']);
    expect(code).toBe(0);
    const jobs = JSON.parse(stdout) as { id: string }[];
    const created = (await harness.sim.ledger()).events.filter((e) => e.kind === 'create').length;
    expect(jobs.length).toBeGreaterThanOrEqual(Math.min(created, 3));
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  });

  it('sweeps: reports what a terminated run left, undoes it as a run, keeps the Schedule; refuses bad options', async () => {
    // A create whose job runs long, terminated while it runs: its object is left behind.
    await harness.sim.setRules([
      { match: { name: 'cli-left', operation: 'create-hostgroup' }, states: Array(60).fill('RUNNING') },
    ]);
    const started = await cli([
      'run',
      'create-hostgroup',
      '--tenant',
      SIM_FIXTURES.tenantId,
      '--input',
      hostgroupInput('cli-left'),
    ]);
    const runId = /^started (\S+), NSE job \S+$/m.exec(started.stdout)?.[1] ?? '';
    const run = harness.temporal.client.workflow.getHandle(runId);
    await waitFor('the run to record its job', async () =>
      (await run.describe()).typedSearchAttributes.get(SearchAttributes.NseJobId) ? true : undefined,
    );
    await run.terminate('left behind on purpose');

    const sweep = await cli(['sweep', '--tenant', SIM_FIXTURES.tenantId, '--since', '2h']);
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toMatch(
      new RegExp(
        `^Sweep nse-flow-sweep-\\S+ read \\d+ create jobs? of admin since \\S+ in 1 tenant \\(${SIM_FIXTURES.tenantId}\\)\\.$`,
        'm',
      ),
    );
    const line = new RegExp(
      `^  hostgroup ([0-9a-f]{24}) 'cli-left' \\(tenant ${SIM_FIXTURES.tenantId}\\): job \\S+ of \\S+, run ${runId} ended TERMINATED$`,
      'm',
    );
    expect(sweep.stdout).toMatch(line);
    expect(sweep.stdout).toMatch(
      /^Undo one with: nse-flow sweep --undo <objectId> \(this sweep takes undos until \S+\)$/m,
    );
    const objectId = line.exec(sweep.stdout)?.[1] ?? '';

    const undo = await cli(['sweep', '--undo', objectId]);
    expect(undo.stdout).toMatch(
      new RegExp(
        `^Undoing ${objectId} \\(reported by nse-flow-sweep-\\S+\\) in run nse-flow-sweep-undo-hostgroup-${objectId}; ` +
          `follow it with: nse-flow result nse-flow-sweep-undo-hostgroup-${objectId}$`,
        'm',
      ),
    );
    expect(undo.code).toBe(0);

    const json = await cli(['--json', 'sweep', '--tenant', SIM_FIXTURES.tenantId]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ tenantIds: [SIM_FIXTURES.tenantId], findings: expect.any(Array) });

    try {
      const schedule = await cli(['sweep', '--schedule', '1h', '--tenant', SIM_FIXTURES.tenantId]);
      expect(schedule.stdout).toMatch(
        /^Created Schedule nse-flow-sweep: a sweep every 1h, next at \S+\. .*Stop it with: temporal schedule delete --schedule-id nse-flow-sweep$/m,
      );
      expect(schedule.code).toBe(0);
    } finally {
      await harness.temporal.client.schedule
        .getHandle('nse-flow-sweep')
        .delete()
        .catch(() => undefined);
    }

    const refusals = await Promise.all([
      cli(['sweep', '--since', 'soon']),
      cli(['sweep', '--since', '100d']),
      cli(['sweep', '--schedule', '1m']),
      cli(['sweep', '--undo', 'not-reported-anywhere']),
    ]);
    expect(refusals.map((r) => [r.code, r.stderr.trim()])).toEqual([
      [2, "nse-flow: --since must be a duration of at least 1 second, such as 30m, 24h or 7d (got 'soon')"],
      [2, "nse-flow: --since must be at most 90d (got '100d')"],
      [
        2,
        "nse-flow: --schedule must be at least 10m (got '1m'): each sweep ends the one before it, which needs time to read",
      ],
      [
        2,
        'nse-flow: no open sweep reported not-reported-anywhere: run `nse-flow sweep` first, then undo what it reports',
      ],
    ]);
  }, 360_000); // CLI processes, most one after the other

  it("uses the running stack's connection file when nothing is exported, and says so once", async () => {
    const stackFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'nse-flow-cli-')), 'stack.json');
    // As `npm start` writes it; the pid is this (living) process, so the file is not taken for a stale one.
    writeStackConnection(
      {
        pid: process.pid,
        temporal: { address: testAddress(), namespace: 'default', taskQueue: harness.taskQueue },
        nse: { baseUrl: harness.sim.url, username: harness.sim.username, password: harness.sim.password },
      },
      stackFile,
    );
    const onlyTheFile = { NSE_FLOW_STACK_FILE: stackFile };

    const run = await cliIn(onlyTheFile, [
      'run',
      'create-hostgroup',
      '--input',
      hostgroupInput('cli-stack-hg8'),
      '--wait',
    ]);
    expect(run.stdout).toMatch(/^completed: create-hostgroup object [0-9a-f]{24}/m);
    expect(run.stderr.match(/using the local stack from/g)).toHaveLength(1);
    expect(run.stderr).toContain(`NSE simulator ${harness.sim.url} as ${harness.sim.username}`);
    expect(run.stderr).not.toContain(harness.sim.password);
    expect(run.code).toBe(0);

    const listed = await waitFor('visibility to list the run', async () => {
      const shown = await cliIn(onlyTheFile, ['list', '--query', `NseObjectType = 'hostgroup'`]);
      return shown.code === 0 && shown.stdout.includes('succeeded') ? shown : undefined;
    });
    expect(listed.stderr).toContain(`Temporal ${testAddress()}`);

    const jobs = await cliIn(onlyTheFile, ['jobs']); // no --tenant: every job the user may see
    expect(jobs.code).toBe(0);
    expect(jobs.stdout).toMatch(/^JOB ID +STATE +ACTION +OBJECT TYPE +OBJECT NAME +CREATED$/m);
    expect(jobs.stdout).toMatch(/^[0-9a-f]{24} {2}NORMAL +create +\S+ +cli-stack-hg8 /m);

    // A variable the user set wins over the file's whole group.
    const elsewhere = await cliIn({ ...onlyTheFile, TEMPORAL_ADDRESS: '127.0.0.1:1' }, ['list']);
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).not.toContain(`Temporal ${testAddress()}`);
  }, 180_000); // five CLI processes one after the other

  it('shows an example in every command help', async () => {
    for (const command of [
      'run',
      'provision',
      'redrive',
      'status',
      'result',
      'cancel',
      'decide',
      'list',
      'jobs',
      'sweep',
      'operations',
      'worker',
    ]) {
      const { code, stdout } = await cli([command, '--help']);
      expect({ command, code }).toEqual({ command, code: 0 });
      expect(stdout).toMatch(/Examples?:/);
    }
  }, 180_000); // one CLI process per command, one after the other
});
