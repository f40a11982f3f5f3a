/**
 * `nse-flow run|provision … --dry-run` as a person runs it, configured for a real dev server and simulator: it prints
 * the requests and exits 0 (2 for input a run would refuse), and afterwards the simulator's ledger is still empty and
 * no workflow of the id it would have used exists.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DryRun } from '../../src/client';
import { hostgroupFields } from '../helpers/fixtures';
import { cliEnvFor, runCli } from '../helpers/cli';
import { useTestWorker } from '../helpers/worker';

describe('nse-flow --dry-run', () => {
  const harness = useTestWorker({ queue: 'dry-run' });

  const cli = (args: string[]) => runCli(args, cliEnvFor(harness), 120_000);

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
