/**
 * `nse-flow run|provision … --dry-run` as a person runs it, configured for a real dev server and simulator: it prints
 * the requests and exits 0 (2 for input a run would refuse), and afterwards the simulator's ledger is still empty and
 * no workflow of the id it would have used exists.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DryRun } from '../../src/client';
import { hostgroupFields } from '../helpers/fixtures';
import { testAddress } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nse-flow.js');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('nse-flow --dry-run', () => {
  const harness = useTestWorker({ queue: 'dry-run' });

  function cli(args: string[]): Promise<CliRun> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: testAddress(),
      NSE_FLOW_TASK_QUEUE: harness.taskQueue,
      NSE_BASE_URL: harness.sim.url,
      NSE_USERNAME: harness.sim.username,
      NSE_PASSWORD: harness.sim.password,
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env, cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });
  }

  /** Nothing reached NSE, and there is no run of `workflowId`. */
  async function expectNothingDone(workflowId: string): Promise<void> {
    expect((await harness.sim.ledger()).requests).toEqual([]);
    await expect(harness.temporal.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  }

  it('prints an operation run’s request and undo, calls nothing and starts nothing', async () => {
    const workflowId = `dry-${randomUUID()}`;
    const input = JSON.stringify(hostgroupFields('dry-hosts'));
    const { code, stdout } = await cli(['run', 'create-hostgroup', '--input', input, '--id', workflowId, '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^dry run of operation create-hostgroup: 1 NSE request/);
    expect(stdout).toContain('   POST /v2.1/hostgroups {"name":"dry-hosts"');
    expect(stdout).toContain('   undo: DELETE /v2.1/hostgroups/${objectId} (delete-hostgroup)');
    await expectNothingDone(workflowId);
  });

  it('gives a plan as data with --json, references included', async () => {
    const key = randomUUID();
    const { code, stdout } = await cli([
      '--json',
      'provision',
      'examples/block-storage.json',
      '--idempotency-key',
      key,
      '--dry-run',
    ]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as DryRun;
    expect(plan.requests.map((r) => r.step)).toEqual(['blockstore', 'hostgroup', 'disk', 'snapshot']);
    expect(plan.references.map((r) => r.reference)).toContain('${steps.disk.objectId}');
    await expectNothingDone(`nse-flow-plan-${key}`);
  });

  it('lists a bulk item by item', async () => {
    const key = randomUUID();
    const args = ['provision', '--each', 'examples/bulk/hostgroups.json', '--idempotency-key', key, '--dry-run'];
    const { code, stdout } = await cli(args);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^dry run of bulk 'hostgroups': 4 NSE requests/);
    expect(stdout).toContain('1. web-1: create hostgroup');
    await expectNothingDone(`nse-flow-bulk-${key}`);
  });

  it('exits 2 on input a run would refuse, naming the field, and still calls nothing', async () => {
    const workflowId = `dry-${randomUUID()}`;
    const input = JSON.stringify({ ...hostgroupFields('dry-bad'), protocol: 'carrier-pigeon' });
    const { code, stdout, stderr } = await cli([
      'run',
      'create-hostgroup',
      '--input',
      input,
      '--id',
      workflowId,
      '--dry-run',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^nse-flow: create-hostgroup: input\.protocol: /);
    await expectNothingDone(workflowId);
  });
});
