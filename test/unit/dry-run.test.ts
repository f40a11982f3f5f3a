/**
 * The dry run's plan: validated by the workflow's own functions, every request in order with its undo, secrets
 * masked, a plan's references kept as references, and the CLI's text of it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { dryRun } from '../../src/client';
import { renderDryRun } from '../../src/cli/dry-run';
import type { BulkInput } from '../../src/shared/bulk';
import type { ProvisionPlan } from '../../src/shared/plans';
import { REDACTED } from '../../src/common/redact';

const example = <T>(file: string): T =>
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', file), 'utf8')) as T;

const SUBTENANT = '5f1a00000000000000000011';
const DISK = '5f1a00000000000000000099';

describe('dry run', () => {
  it("lists a plan's requests in step order with each undo and the references resolved at run time", () => {
    const plan = dryRun({ plan: example<ProvisionPlan>('block-storage.json') });
    expect(plan).toMatchObject({ kind: 'plan', name: 'block-storage', fairnessKey: '5f1a00000000000000000001' });
    expect(plan.priority).toEqual({ undo: 1, calls: 3 });
    expect(plan.requests.map((r) => `${r.step} ${r.method} ${r.path}`)).toEqual([
      'blockstore POST /v2.1/blockstores',
      'hostgroup POST /v2.1/hostgroups',
      'disk POST /v2.1/disks',
      'snapshot POST /v2.1/disks/${steps.disk.objectId}/snapshot/initial',
    ]);
    expect(plan.requests.map((r) => r.undo)).toEqual([
      { operation: 'delete-blockstore', method: 'DELETE', path: '/v2.1/blockstores/${objectId}' },
      { operation: 'delete-hostgroup', method: 'DELETE', path: '/v2.1/hostgroups/${objectId}' },
      { operation: 'delete-disk', method: 'DELETE', path: '/v2.1/disks/${objectId}' },
      {
        operation: 'delete-disk-snapshot',
        method: 'DELETE',
        path: '/v2.1/disks/${steps.disk.objectId}/snapshot/initial',
      },
    ]);
    // An earlier step's input is known now: its value is what the step sends.
    expect(plan.requests[2]?.body?.hostgroup_mappings).toEqual(['db-hosts']);
    expect(plan.references).toEqual([
      {
        step: 'disk',
        field: 'input.hostgroup_mappings[0]',
        reference: '${steps.hostgroup.input.name}',
        resolvedAt: 'now',
      },
      { step: 'snapshot', field: 'input.disk_id', reference: '${steps.disk.objectId}', resolvedAt: 'run time' },
    ]);
  });

  it("lists a bulk's items with the defaults each item's run applies", () => {
    const bulk = example<BulkInput>('bulk/hostgroups.json');
    const plan = dryRun({ bulk });
    expect(plan.kind).toBe('bulk');
    expect(plan.requests.map((r) => r.item)).toEqual(bulk.items.map((item) => item.key));
    expect(plan.requests.every((r) => r.method === 'POST' && r.path === '/v2.1/hostgroups')).toBe(true);
  });

  it("masks secrets in bodies, and shows an update's read before and its undo putting the read values back", () => {
    const plan = dryRun({
      operation: {
        operation: 'update-blockstore',
        tenantId: 'tenant-a',
        input: { id: DISK, tags: { owner: 'ops', api_token: 's3cr3t-value' } },
      },
    });
    const [request] = plan.requests;
    expect(plan.fairnessKey).toBe('tenant-a');
    expect(request?.body).toEqual({ tags: { owner: 'ops', api_token: REDACTED } });
    expect(request?.readBefore).toEqual({
      operation: 'update-blockstore',
      method: 'GET',
      path: `/v2.1/blockstores/${DISK}`,
    });
    expect(request?.undo).toEqual({
      operation: 'update-blockstore',
      method: 'PUT',
      path: `/v2.1/blockstores/${DISK}`,
      body: { tags: '${value read before}' },
    });
    expect(JSON.stringify(plan)).not.toContain('s3cr3t-value');
    expect(renderDryRun(plan)).not.toContain('s3cr3t-value');
  });

  it('says when NSE has no undo for a call', () => {
    const plan = dryRun({ operation: { operation: 'delete-disk', input: { id: DISK } } });
    expect(plan.requests[0]?.undo).toEqual({ none: expect.stringMatching(/.+/) });
    expect(renderDryRun(plan)).toMatch(/undo: none \(.+\)/);
  });

  it('refuses what the workflow would refuse, with its InvalidInput failure', () => {
    const refused = (input: Parameters<typeof dryRun>[0]): unknown => {
      try {
        dryRun(input);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const bad = [
      refused({ operation: { operation: 'create-disk', input: { subtenant_id: SUBTENANT } } }),
      refused({ operation: { operation: 'no-such-operation', input: {} } }),
      refused({
        plan: { name: 'p', steps: [{ id: 'a', operation: 'delete-disk', input: { id: '${steps.b.objectId}' } }] },
      }),
      refused({ bulk: { name: 'b', operation: 'create-hostgroup', items: [{ input: { name: 'x' } }] } }),
    ];
    for (const err of bad) {
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('InvalidInput');
    }
  });

  it('prints every request in order, each undo, the fairness key and the references', () => {
    const text = renderDryRun(dryRun({ plan: example<ProvisionPlan>('block-storage.json') }));
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      "dry run of plan 'block-storage': 4 NSE requests besides job reads; nothing was sent to NSE and no run was started",
    );
    expect(text).toContain('fairness key 5f1a00000000000000000001');
    expect(lines).toContain('   undo: DELETE /v2.1/disks/${objectId} (delete-disk)');
    expect(lines).toContain('   POST /v2.1/disks/${steps.disk.objectId}/snapshot/initial {"snapmirror_label":"daily"}');
    expect(lines).toContain('  snapshot input.disk_id = ${steps.disk.objectId}');
    const order = ['1. blockstore:', '2. hostgroup:', '3. disk:', '4. snapshot:'].map((start) =>
      lines.findIndex((line) => line.startsWith(start)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((index) => index > 0)).toBe(true);
  });
});
