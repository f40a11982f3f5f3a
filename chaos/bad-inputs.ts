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

/** The host group's fields as JSON text without the braces, for inputs that must be written as JSON. */
const HOSTGROUP_JSON = JSON.stringify(hostgroup()).slice(1, -1);

/** The fields of a valid `create-disk` input. */
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

type Plan = {
  name: string;
  tenantId: string;
  steps: { id: string; operation: string; input: Record<string, unknown> }[];
};

/** A valid two-step plan (host group, then a disk mapped to it). */
function plan(): Plan {
  return {
    name: 'bad-plan',
    tenantId: SIM_FIXTURES.tenantId,
    steps: [
      { id: 'hg', operation: 'create-hostgroup', input: hostgroup() },
      {
        id: 'disk',
        operation: 'create-disk',
        input: { ...diskFields(), hostgroup_mappings: ['${steps.hg.input.name}'] },
      },
    ],
  };
}

/** A valid plan changed by `spoil`. */
function spoiled(spoil: (p: Plan) => void): unknown {
  const p = plan();
  spoil(p);
  return p;
}

/** A valid plan whose step number `step` has `field` set to `value`. */
function spoiledStep(step: number, field: 'id' | 'operation', value: string): unknown {
  return spoiled((p) => ((p.steps[step] as Plan['steps'][number])[field] = value));
}

/** A valid plan whose step number `step` has `field` of its input set to `value`. */
function spoiledStepInput(step: number, field: string, value: unknown): unknown {
  return spoiled((p) => ((p.steps[step] as Plan['steps'][number]).input[field] = value));
}

const operation = (name: string, input: unknown): BadInput => ({ name, workflow: 'nseOperationWorkflow', input });
const provision = (name: string, input: unknown): BadInput => ({ name, workflow: 'provisionWorkflow', input });

const operationInputs: BadInput[] = [
  operation('operation input that is null', null),
  operation('operation input that is a string', 'create-hostgroup'),
  operation('operation input that is an array', [op()]),
  operation('missing operation', op({ operation: undefined })),
  operation('operation of the wrong type', op({ operation: 42 })),
  operation('unknown operation', op({ operation: 'create-teapot' })),
  operation('oversized operation name', op({ operation: 'create-'.padEnd(10_000, 'x') })),
  operation('missing input', op({ input: undefined })),
  operation('input that is an array', op({ input: [hostgroup()] })),
  operation('input that is a string', op({ input: 'name=bad-hg' })),
  operation('missing required field', op({}, { name: undefined })),
  operation('field of the wrong type', op({}, { name: 7 })),
  operation('value outside its enum', op({}, { protocol: 'carrier-pigeon' })),
  operation('oversized resource name', op({}, { name: 'x'.repeat(300) })),
  operation(
    'input larger than 64 KiB',
    op({}, { tags: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, 'v'.repeat(200)])) }),
  ),
  operation('unknown extra field', op({}, { force_delete_everything: true })),
  operation('control character in a name', op({}, { name: 'bad\nhg' })),
  operation('negative size', { operation: 'create-disk', input: { ...diskFields(), size_gb: -1 } }),
  operation(
    '__proto__ key in the input',
    json(`{"operation":"create-hostgroup","input":{${HOSTGROUP_JSON},"__proto__":{"polluted":true}}}`),
  ),
  operation(
    '__proto__ key at the top level',
    json(`{"operation":"create-hostgroup","input":{${HOSTGROUP_JSON}},"__proto__":{"isAdmin":true}}`),
  ),
  operation('constructor key in the input', op({}, { constructor: { prototype: { polluted: true } } })),
  operation('prototype key nested in tags', op({}, { tags: { prototype: 'x' } })),
  operation('path-injection id ../x', { operation: 'delete-disk', input: { id: '../x' } }),
  operation('path-injection id with a slash', { operation: 'delete-hostgroup', input: { id: 'a/../../tenants' } }),
  operation('query injection in an id', { operation: 'delete-disk', input: { id: 'x?force=true' } }),
  operation('encoded traversal in an id', { operation: 'delete-disk', input: { id: '%2e%2e%2fx' } }),
  operation('path traversal in a snapshot name', {
    operation: 'delete-disk-snapshot',
    input: { disk_id: '5f1a00000000000000000099', name: '../../disks/x' },
  }),
  operation('tenantId of the wrong type', op({ tenantId: 12 })),
  operation('oversized tenantId', op({ tenantId: 't'.repeat(65) })),
  operation('negative poll interval', op({ poll: { initialIntervalMs: -1 } })),
  operation('unknown poll option', op({ poll: { turbo: true } })),
  operation('max poll interval below the initial one', op({ poll: { initialIntervalMs: 5000, maxIntervalMs: 10 } })),
  operation('unknown top-level field', op({ priority: 'urgent' })),
  operation('resume with a path-injection job id', op({ resume: { jobId: '../x' } })),
  operation('resume with a job id of the wrong type', op({ resume: { jobId: { $ne: null } } })),
  operation('resume that is not an object', op({ resume: 'skip-submit' })),
];

const plans: BadInput[] = [
  provision('plan that is a string', 'block-storage'),
  provision(
    'plan without steps',
    spoiled((p) => (p.steps = [])),
  ),
  provision('plan whose steps are not an array', { ...plan(), steps: { hg: plan().steps[0] } }),
  provision(
    'plan with more than 50 steps',
    spoiled((p) => {
      p.steps = Array.from({ length: 51 }, (_, i) => ({
        id: `hg${i}`,
        operation: 'create-hostgroup',
        input: { ...hostgroup(), name: `hg-${i}` },
      }));
    }),
  ),
  provision(
    'plan name with path characters',
    spoiled((p) => (p.name = '../../etc/passwd')),
  ),
  provision('step with an unknown operation', spoiledStep(1, 'operation', 'create-teapot')),
  provision('duplicate step id', spoiledStep(1, 'id', 'hg')),
  provision('step id with path characters', spoiledStep(0, 'id', '../x')),
  provision('reference to a later step', spoiledStepInput(0, 'name', '${steps.disk.input.name}')),
  provision('reference to the step itself', spoiledStepInput(1, 'name', '${steps.disk.input.zone}')),
  provision('reference to an unknown step', spoiledStepInput(1, 'hostgroup_mappings', ['${steps.lun.input.name}'])),
  provision('malformed reference', spoiledStepInput(1, 'hostgroup_mappings', ['${steps.hg.name}'])),
  provision(
    'reference to a missing input field',
    spoiledStepInput(1, 'hostgroup_mappings', ['${steps.hg.input.alias}']),
  ),
  provision(
    'reference with prototype-pollution path',
    spoiledStepInput(1, 'hostgroup_mappings', ['${steps.__proto__.input.name}']),
  ),
  provision(
    '__proto__ key in a step input',
    json(
      `{"name":"bad-plan","steps":[{"id":"hg","operation":"create-hostgroup","input":{${HOSTGROUP_JSON},"__proto__":{"polluted":true}}}]}`,
    ),
  ),
  provision(
    '__proto__ key in a step',
    json(
      `{"name":"bad-plan","steps":[{"id":"hg","operation":"create-hostgroup","__proto__":{"operation":"delete-disk"},"input":{${HOSTGROUP_JSON}}}]}`,
    ),
  ),
  provision('constructor key in a plan', { ...plan(), constructor: { prototype: { polluted: true } } }),
  provision(
    'path-injection id in a step',
    spoiled((p) => p.steps.push({ id: 'del', operation: 'delete-disk', input: { id: '../../blockstores/x' } })),
  ),
  provision('oversized string in a step', spoiledStepInput(1, 'disk_path', '/'.padEnd(70_000, 'x'))),
  provision('step field of the wrong type', spoiledStepInput(1, 'size_gb', '10')),
  provision('plan poll policy out of range', { ...plan(), poll: { jitterRatio: 7 } }),
  provision('plan tenantId of the wrong type', { ...plan(), tenantId: ['t1'] }),
];

/** Every malformed input of the corpus: operation inputs first, then plans. */
export const BAD_INPUTS: readonly BadInput[] = [...operationInputs, ...plans];
