/**
 * A corpus of malformed operation inputs and provisioning plans: wrong types, missing fields, oversized strings,
 * unknown operations, bad step references, prototype-pollution keys and path-injection ids. Each must fail its run
 * at once with a non-retryable `InvalidInput` failure, before any NSE call. Inputs are built the way they arrive
 * from a client: as JSON (so `__proto__` is an own key, exactly what `JSON.parse` gives the workflow).
 * @module
 */
import { SIM_FIXTURES } from '../src/simulator/fixtures';

/** One malformed workflow input. */
export interface BadInput {
  /** What is wrong with it, as a test name. */
  name: string;
  workflow: 'nseOperationWorkflow' | 'provisionWorkflow';
  input: unknown;
}

const SUBTENANT = SIM_FIXTURES.subtenantId;
const ZONE = SIM_FIXTURES.zone;

const hostgroup = (): Record<string, unknown> => ({
  name: 'bad-hg',
  subtenant_id: SUBTENANT,
  zone: ZONE,
  protocol: 'iscsi',
  os_type: 'linux',
});

/** A valid create-hostgroup input with `change` applied (a field set to `undefined` is removed). */
function op(change: Record<string, unknown> = {}, inputChange: Record<string, unknown> = {}): Record<string, unknown> {
  const input = { ...hostgroup(), ...inputChange };
  for (const [k, v] of Object.entries(inputChange)) if (v === undefined) delete input[k];
  const outer: Record<string, unknown> = {
    operation: 'create-hostgroup',
    tenantId: SIM_FIXTURES.tenantId,
    input,
    ...change,
  };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete outer[k];
  return outer;
}

/** Parses JSON text: the only way to get an own `__proto__` key, as a decoded workflow payload has. */
const json = (text: string): unknown => JSON.parse(text);

/** A valid two-step plan (host group, then a disk mapped to it). */
function plan(): {
  name: string;
  tenantId: string;
  steps: { id: string; operation: string; input: Record<string, unknown> }[];
} {
  return {
    name: 'bad-plan',
    tenantId: SIM_FIXTURES.tenantId,
    steps: [
      { id: 'hg', operation: 'create-hostgroup', input: hostgroup() },
      {
        id: 'disk',
        operation: 'create-disk',
        input: {
          subtenant_id: SUBTENANT,
          zone: ZONE,
          name: 'bad-disk',
          disk_path: '/vol/bad',
          protocol: 'iscsi',
          os_type: 'linux',
          hostgroup_mappings: ['${steps.hg.input.name}'],
          service_level: 'standard',
          size_gb: 10,
        },
      },
    ],
  };
}

/** A valid plan changed by `spoil`. */
function spoiled(spoil: (p: ReturnType<typeof plan>) => void): unknown {
  const p = plan();
  spoil(p);
  return p;
}

const operationInputs: BadInput[] = [
  { name: 'operation input that is null', workflow: 'nseOperationWorkflow', input: null },
  { name: 'operation input that is a string', workflow: 'nseOperationWorkflow', input: 'create-hostgroup' },
  { name: 'operation input that is an array', workflow: 'nseOperationWorkflow', input: [op()] },
  { name: 'missing operation', workflow: 'nseOperationWorkflow', input: op({ operation: undefined }) },
  { name: 'operation of the wrong type', workflow: 'nseOperationWorkflow', input: op({ operation: 42 }) },
  { name: 'unknown operation', workflow: 'nseOperationWorkflow', input: op({ operation: 'create-teapot' }) },
  {
    name: 'oversized operation name',
    workflow: 'nseOperationWorkflow',
    input: op({ operation: 'create-'.padEnd(10_000, 'x') }),
  },
  { name: 'missing input', workflow: 'nseOperationWorkflow', input: op({ input: undefined }) },
  { name: 'input that is an array', workflow: 'nseOperationWorkflow', input: op({ input: [hostgroup()] }) },
  { name: 'input that is a string', workflow: 'nseOperationWorkflow', input: op({ input: 'name=bad-hg' }) },
  { name: 'missing required field', workflow: 'nseOperationWorkflow', input: op({}, { name: undefined }) },
  { name: 'field of the wrong type', workflow: 'nseOperationWorkflow', input: op({}, { name: 7 }) },
  { name: 'value outside its enum', workflow: 'nseOperationWorkflow', input: op({}, { protocol: 'carrier-pigeon' }) },
  { name: 'oversized resource name', workflow: 'nseOperationWorkflow', input: op({}, { name: 'x'.repeat(300) }) },
  {
    name: 'input larger than 64 KiB',
    workflow: 'nseOperationWorkflow',
    input: op({}, { tags: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, 'v'.repeat(200)])) }),
  },
  { name: 'unknown extra field', workflow: 'nseOperationWorkflow', input: op({}, { force_delete_everything: true }) },
  { name: 'control character in a name', workflow: 'nseOperationWorkflow', input: op({}, { name: 'bad\nhg' }) },
  {
    name: 'negative size',
    workflow: 'nseOperationWorkflow',
    input: { operation: 'create-disk', input: { ...diskFields(), size_gb: -1 } },
  },
  {
    name: '__proto__ key in the input',
    workflow: 'nseOperationWorkflow',
    input: json(
      `{"operation":"create-hostgroup","input":{"name":"bad-hg","subtenant_id":"${SUBTENANT}","zone":"${ZONE}","protocol":"iscsi","os_type":"linux","__proto__":{"polluted":true}}}`,
    ),
  },
  {
    name: '__proto__ key at the top level',
    workflow: 'nseOperationWorkflow',
    input: json(
      `{"operation":"create-hostgroup","input":{"name":"bad-hg","subtenant_id":"${SUBTENANT}","zone":"${ZONE}","protocol":"iscsi","os_type":"linux"},"__proto__":{"isAdmin":true}}`,
    ),
  },
  {
    name: 'constructor key in the input',
    workflow: 'nseOperationWorkflow',
    input: op({}, { constructor: { prototype: { polluted: true } } }),
  },
  {
    name: 'prototype key nested in tags',
    workflow: 'nseOperationWorkflow',
    input: op({}, { tags: { prototype: 'x' } }),
  },
  {
    name: 'path-injection id ../x',
    workflow: 'nseOperationWorkflow',
    input: { operation: 'delete-disk', input: { id: '../x' } },
  },
  {
    name: 'path-injection id with a slash',
    workflow: 'nseOperationWorkflow',
    input: { operation: 'delete-hostgroup', input: { id: 'a/../../tenants' } },
  },
  {
    name: 'query injection in an id',
    workflow: 'nseOperationWorkflow',
    input: { operation: 'delete-disk', input: { id: 'x?force=true' } },
  },
  {
    name: 'encoded traversal in an id',
    workflow: 'nseOperationWorkflow',
    input: { operation: 'delete-disk', input: { id: '%2e%2e%2fx' } },
  },
  {
    name: 'path traversal in a snapshot name',
    workflow: 'nseOperationWorkflow',
    input: { operation: 'delete-disk-snapshot', input: { disk_id: '5f1a00000000000000000099', name: '../../disks/x' } },
  },
  { name: 'tenantId of the wrong type', workflow: 'nseOperationWorkflow', input: op({ tenantId: 12 }) },
  { name: 'oversized tenantId', workflow: 'nseOperationWorkflow', input: op({ tenantId: 't'.repeat(65) }) },
  { name: 'negative poll interval', workflow: 'nseOperationWorkflow', input: op({ poll: { initialIntervalMs: -1 } }) },
  { name: 'unknown poll option', workflow: 'nseOperationWorkflow', input: op({ poll: { turbo: true } }) },
  {
    name: 'max poll interval below the initial one',
    workflow: 'nseOperationWorkflow',
    input: op({ poll: { initialIntervalMs: 5000, maxIntervalMs: 10 } }),
  },
  { name: 'unknown top-level field', workflow: 'nseOperationWorkflow', input: op({ priority: 'urgent' }) },
  {
    name: 'resume with a path-injection job id',
    workflow: 'nseOperationWorkflow',
    input: op({ resume: { jobId: '../x' } }),
  },
  {
    name: 'resume with a job id of the wrong type',
    workflow: 'nseOperationWorkflow',
    input: op({ resume: { jobId: { $ne: null } } }),
  },
  { name: 'resume that is not an object', workflow: 'nseOperationWorkflow', input: op({ resume: 'skip-submit' }) },
];

function diskFields(): Record<string, unknown> {
  return {
    subtenant_id: SUBTENANT,
    zone: ZONE,
    name: 'bad-disk',
    disk_path: '/vol/bad',
    protocol: 'iscsi',
    os_type: 'linux',
    hostgroup_mappings: [],
    service_level: 'standard',
    size_gb: 10,
  };
}

const plans: BadInput[] = [
  { name: 'plan that is a string', workflow: 'provisionWorkflow', input: 'block-storage' },
  { name: 'plan without steps', workflow: 'provisionWorkflow', input: spoiled((p) => (p.steps = [])) },
  {
    name: 'plan whose steps are not an array',
    workflow: 'provisionWorkflow',
    input: { ...plan(), steps: { hg: plan().steps[0] } },
  },
  {
    name: 'plan with more than 50 steps',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => {
      p.steps = Array.from({ length: 51 }, (_, i) => ({
        id: `hg${i}`,
        operation: 'create-hostgroup',
        input: { ...hostgroup(), name: `hg-${i}` },
      }));
    }),
  },
  {
    name: 'plan name with path characters',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => (p.name = '../../etc/passwd')),
  },
  {
    name: 'step with an unknown operation',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => ((p.steps[1] as { operation: string }).operation = 'create-teapot')),
  },
  {
    name: 'duplicate step id',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => ((p.steps[1] as { id: string }).id = 'hg')),
  },
  {
    name: 'step id with path characters',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => ((p.steps[0] as { id: string }).id = '../x')),
  },
  {
    name: 'reference to a later step',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => ((p.steps[0] as { input: Record<string, unknown> }).input.name = '${steps.disk.input.name}')),
  },
  {
    name: 'reference to the step itself',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => ((p.steps[1] as { input: Record<string, unknown> }).input.name = '${steps.disk.input.zone}')),
  },
  {
    name: 'reference to an unknown step',
    workflow: 'provisionWorkflow',
    input: spoiled(
      (p) =>
        ((p.steps[1] as { input: Record<string, unknown> }).input.hostgroup_mappings = ['${steps.lun.input.name}']),
    ),
  },
  {
    name: 'malformed reference',
    workflow: 'provisionWorkflow',
    input: spoiled(
      (p) => ((p.steps[1] as { input: Record<string, unknown> }).input.hostgroup_mappings = ['${steps.hg.name}']),
    ),
  },
  {
    name: 'reference to a missing input field',
    workflow: 'provisionWorkflow',
    input: spoiled(
      (p) =>
        ((p.steps[1] as { input: Record<string, unknown> }).input.hostgroup_mappings = ['${steps.hg.input.alias}']),
    ),
  },
  {
    name: 'reference with prototype-pollution path',
    workflow: 'provisionWorkflow',
    input: spoiled(
      (p) =>
        ((p.steps[1] as { input: Record<string, unknown> }).input.hostgroup_mappings = [
          '${steps.__proto__.input.name}',
        ]),
    ),
  },
  {
    name: '__proto__ key in a step input',
    workflow: 'provisionWorkflow',
    input: json(
      `{"name":"bad-plan","steps":[{"id":"hg","operation":"create-hostgroup","input":{"name":"bad-hg","subtenant_id":"${SUBTENANT}","zone":"${ZONE}","protocol":"iscsi","os_type":"linux","__proto__":{"polluted":true}}}]}`,
    ),
  },
  {
    name: '__proto__ key in a step',
    workflow: 'provisionWorkflow',
    input: json(
      `{"name":"bad-plan","steps":[{"id":"hg","operation":"create-hostgroup","__proto__":{"operation":"delete-disk"},"input":{"name":"bad-hg","subtenant_id":"${SUBTENANT}","zone":"${ZONE}","protocol":"iscsi","os_type":"linux"}}]}`,
    ),
  },
  {
    name: 'constructor key in a plan',
    workflow: 'provisionWorkflow',
    input: { ...plan(), constructor: { prototype: { polluted: true } } },
  },
  {
    name: 'path-injection id in a step',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => p.steps.push({ id: 'del', operation: 'delete-disk', input: { id: '../../blockstores/x' } })),
  },
  {
    name: 'oversized string in a step',
    workflow: 'provisionWorkflow',
    input: spoiled(
      (p) => ((p.steps[1] as { input: Record<string, unknown> }).input.disk_path = '/'.padEnd(70_000, 'x')),
    ),
  },
  {
    name: 'step field of the wrong type',
    workflow: 'provisionWorkflow',
    input: spoiled((p) => ((p.steps[1] as { input: Record<string, unknown> }).input.size_gb = '10')),
  },
  {
    name: 'plan poll policy out of range',
    workflow: 'provisionWorkflow',
    input: { ...plan(), poll: { jitterRatio: 7 } },
  },
  { name: 'plan tenantId of the wrong type', workflow: 'provisionWorkflow', input: { ...plan(), tenantId: ['t1'] } },
];

/** Every malformed input of the corpus: operation inputs first, then plans. */
export const BAD_INPUTS: readonly BadInput[] = [...operationInputs, ...plans];
