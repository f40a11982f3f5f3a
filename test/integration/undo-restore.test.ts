/**
 * An update's undo puts back exactly what it read (issue #24 point 3). The record read before an update used to be
 * redacted like a log line: with the worker's NSE password `acme2024`, the disk `acme2024-db01` was read as
 * `[redacted]-db01`, and a `snapshot_policy.hourly_key` (a name ending in `key`) as `[redacted]`, and the undo of a
 * failed update wrote those values to NSE. Now the values an undo sends back are kept as NSE has them: in clear
 * history when nothing in them is secret-named, sealed when payloads are encrypted, and otherwise the update is
 * refused before it is sent. The simulator's ledger shows each request's body.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NseFlowClient } from '../../src/client';
import { FailureType } from '../../src/shared/failures';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import type { OperationResult } from '../../src/shared/workflow-api';
import { diskFields, FAST_POLL } from '../helpers/fixtures';
import { rootFailure, settle } from '../helpers/temporal';
import { createConfiguredWorker, useTestWorker } from '../helpers/worker';

const home = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-undo-')); // no user temporal.toml
const WORKER_USER = { username: 'acme-ops', password: 'acme2024' };
const DISK_NAME = 'acme2024-db01';
const POLICY = { hourly_key: 'k-17', keep: 6 };
const keys = `k1:${randomBytes(32).toString('base64')}`;

describe('the undo of a failed update', () => {
  const harness = useTestWorker({
    queue: 'undo-restore',
    worker: false,
    per: 'each',
    simulator: {
      users: [WORKER_USER],
      // The update to `db01-renamed` fails; the undo, which names the disk as it was, succeeds.
      rules: [{ match: { method: 'PUT', path: '/v2.1/disks/:id', name: 'db01-renamed' }, outcome: 'ERROR' }],
    },
  });
  const clients: NseFlowClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  const authorization = `Basic ${Buffer.from(`${WORKER_USER.username}:${WORKER_USER.password}`).toString('base64')}`;

  /** Creates the disk straight through the simulator's API and reads its job to the end; returns the disk's id. */
  async function createDisk(): Promise<string> {
    const body = { ...diskFields(DISK_NAME), snapshot_policy: POLICY };
    const created = await fetch(`${harness.sim.url}/v2.1/disks`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const job = ((await created.json()) as { result: { records: { id: string }[] } }).result.records[0];
    for (let read = 0; read < 50; read += 1) {
      const answer = await fetch(`${harness.sim.url}/v2.1/jobs/${job?.id}`, { headers: { authorization } });
      const record = ((await answer.json()) as { result: { records: { state?: string; object_id: string }[] } }).result
        .records[0];
      if (record?.state === 'NORMAL') return record.object_id;
    }
    throw new Error('the disk was not created');
  }

  /** Runs `update-disk` through a worker built from the production config, with or without payload encryption. */
  async function runUpdate(fields: Record<string, unknown>, encrypted: boolean) {
    const env = { HOME: home, ...(encrypted ? { NSE_FLOW_CODEC_KEYS: keys } : {}) };
    const client = await connect({
      env: { ...env, TEMPORAL_ADDRESS: harness.temporal.address, NSE_FLOW_TASK_QUEUE: harness.taskQueue },
    });
    clients.push(client);
    const { worker, nse } = await createConfiguredWorker(harness, env);
    try {
      return await worker.runUntil(async () => {
        const input = { operation: 'update-disk', tenantId: SIM_FIXTURES.tenantId, input: fields, poll: FAST_POLL };
        const workflowId = `undo-restore-${randomUUID()}`;
        const handle = await client.startOperation(input, { workflowId, waitForAcceptance: false });
        return { ...(await settle<OperationResult>(handle)), workflowId };
      });
    } finally {
      nse.close();
    }
  }

  /** The bodies of the PUTs the disk received, in order. */
  async function putBodies(id: string): Promise<unknown[]> {
    return (await harness.sim.requests('PUT', `/v2.1/disks/${id}`)).map((request) => request.body);
  }

  it('puts back a name that contains the worker password, exactly', async () => {
    const id = await createDisk();
    const { error } = await runUpdate({ id, name: 'db01-renamed' }, false);
    expect(rootFailure(error)).toMatchObject({ type: FailureType.NseJobFailed });
    expect(rootFailure(error)?.details?.[0]).toMatchObject({ compensation: { outcome: 'compensated' } });

    expect(await putBodies(id)).toEqual([{ name: 'db01-renamed' }, { name: DISK_NAME }]);
    const disk = (await harness.sim.ledger()).resources.find((resource) => resource.id === id);
    expect(disk).toMatchObject({ name: DISK_NAME, fields: { name: DISK_NAME, snapshot_policy: POLICY } });
  });

  it('puts back a secret-named field exactly when payloads are encrypted', async () => {
    const id = await createDisk();
    const changed = { hourly_key: 'k-18', keep: 6 };
    const { error } = await runUpdate({ id, name: 'db01-renamed', snapshot_policy: changed }, true);
    expect(rootFailure(error)).toMatchObject({ type: FailureType.NseJobFailed });
    expect(rootFailure(error)?.details?.[0]).toMatchObject({ compensation: { outcome: 'compensated' } });

    expect(await putBodies(id)).toEqual([
      { name: 'db01-renamed', snapshot_policy: changed },
      { name: DISK_NAME, snapshot_policy: POLICY },
    ]);
    const disk = (await harness.sim.ledger()).resources.find((resource) => resource.id === id);
    expect(disk?.fields).toMatchObject({ name: DISK_NAME, snapshot_policy: POLICY });
  });

  it('refuses, before sending it, an update whose undo needs a secret-named field in clear-text history', async () => {
    const id = await createDisk();
    const { error, workflowId } = await runUpdate({ id, snapshot_policy: { hourly_key: 'k-18', keep: 6 } }, false);
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.InvalidInput });
    expect(failure?.message).toContain('snapshot_policy.hourly_key');
    expect(failure?.message).toContain('NSE_FLOW_CODEC_KEYS');
    expect(await putBodies(id)).toEqual([]);
    // The value it refused to keep is nowhere in the run's history.
    const { events } = await harness.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const history = JSON.stringify(events, (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
    );
    expect(history).toContain('snapshot_policy.hourly_key');
    expect(history).not.toContain(POLICY.hourly_key);
  });
});
