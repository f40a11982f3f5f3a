/**
 * The `nse-flow` CLI as a person or a script uses it: child processes against the test dev server and a simulator,
 * checking output and exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SIM_FIXTURES } from '../../src/simulator/fixtures';
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

  function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return new Promise((resolve) => {
      const childEnv: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: testAddress(),
        NSE_FLOW_TASK_QUEUE: harness.taskQueue,
        NSE_BASE_URL: harness.sim.url,
        NSE_USERNAME: harness.sim.username,
        NSE_PASSWORD: harness.sim.password,
        ...env,
      };
      execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
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
    expect(stderr).toContain('cannot reach Temporal');
  });

  it('shows status, cancels, and lists runs by search attribute', async () => {
    await harness.sim.setRules([
      { match: { method: 'POST', name: 'cli-long' }, states: [...Array<'RUNNING'>(8).fill('RUNNING'), 'NORMAL'] },
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
    const result = await cli(['result', workflowId]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('failed (CancelledFailure)');
    expect((await harness.sim.ledger()).events.filter((e) => e.name === 'cli-long-hg5').map((e) => e.kind)).toEqual([
      'create',
      'delete',
    ]);
  });

  it('provisions a plan file with --wait', async () => {
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
    const { code, stdout } = await cli(['provision', plan, '--idempotency-key', `cli-${Date.now()}`, '--wait']);
    expect(stdout).toMatch(/^completed plan cli-plan: group=[0-9a-f]{24}, user=[0-9a-f]{24}$/m);
    expect(code).toBe(0);
    expect((await cli(['provision', path.join(dir, 'missing.json')])).code).toBe(2);
  });

  it('lists NSE jobs of a tenant across every page', async () => {
    const { code, stdout } = await cli(['--json', 'jobs', '--tenant', SIM_FIXTURES.tenantId, '--limit', '2', '--all']);
    expect(code).toBe(0);
    const jobs = JSON.parse(stdout) as { id: string }[];
    const created = (await harness.sim.ledger()).events.filter((e) => e.kind === 'create').length;
    expect(jobs.length).toBeGreaterThanOrEqual(Math.min(created, 3));
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  });

  it('shows an example in every command help', async () => {
    for (const command of [
      'run',
      'provision',
      'status',
      'result',
      'cancel',
      'list',
      'jobs',
      'operations',
      'worker',
      'simulator',
    ]) {
      const { code, stdout } = await cli([command, '--help']);
      expect({ command, code }).toEqual({ command, code: 0 });
      expect(stdout).toContain('Example:');
    }
  });
});
