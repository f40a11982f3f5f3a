/**
 * A corpus of malformed operation inputs and provisioning plans: wrong types, missing fields, oversized strings,
 * unknown operations, bad step references, prototype-pollution keys and path-injection ids. Each must fail its run
 * at once with a non-retryable `InvalidInput` failure, before any NSE call. Inputs are built the way they arrive
 * from a client: as JSON (so `__proto__` is an own key, exactly what `JSON.parse` gives the workflow).
 * @module
 */
import { SIM_FIXTURES } from '../simulator/fixtures';

/** One malformed workflow input. */
export interface BadInput {
  /** What is wrong with it, as a test name. */
  name: string;
  workflow: 'nseOperationWorkflow' | 'provisionWorkflow';
  input: unknown;
  /**
   * The input as JSON text, sent as a raw payload: for inputs no TypeScript client can serialise (nested deeper than
   * JSON.stringify's stack), which any other SDK or `temporal workflow start` can still send.
   */
  rawJson?: string;
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

// Findings of issue #15 ---------------------------------------------------------------------------------------

const ID = '5f1a00000000000000000099';
const S3_POLICY = { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
/** A valid input of each operation whose path takes a value (also the path-values test's starting points). */
export const PATH_OPERATIONS: Record<string, Record<string, unknown>> = {
  'update-blockstore': { id: ID, dr_schedule: 'daily' },
  'delete-blockstore': { id: ID },
  'update-disk': { id: ID, size_gb: 20 },
  'delete-disk': { id: ID },
  'create-disk-snapshot': { disk_id: ID, name: 'snap-1' },
  'delete-disk-snapshot': { disk_id: ID, name: 'snap-1' },
  'delete-hostgroup': { id: ID },
  'add-hostgroup-initiator': { hostgroup_id: ID, alias: 'host-a', initiator: 'iqn.1998-01.com.vmware:host-a' },
  'update-hostgroup-initiator': { hostgroup_id: ID, alias: 'host-a', initiator: 'iqn.1998-01.com.vmware:host-b' },
  'remove-hostgroup-initiator': { hostgroup_id: ID, alias: 'host-a' },
  'update-fileserver': { id: ID, dr_schedule: 'daily' },
  'delete-fileserver': { id: ID },
  'update-fileshare': { id: ID, size_gb: 20 },
  'delete-fileshare': { id: ID },
  'create-fileshare-snapshot': { fileshare_id: ID, name: 'snap-1' },
  'delete-fileshare-snapshot': { fileshare_id: ID, name: 'snap-1' },
  'update-objectstorage-account': { id: ID, name: 'acct', subtenant_id: ID, quota_gb: 10 },
  'delete-objectstorage-account': { id: ID },
  'update-objectiam-group': { id: ID, name: 'group', subtenant_id: ID, s3_policy: S3_POLICY },
  'delete-objectiam-group': { id: ID },
  'update-objectiam-user': { id: ID, display_name: 'user', subtenant_id: ID, sg_group_membership: [] },
  'delete-objectiam-user': { id: ID },
};
/** The field of each operation that names the object in its path (the last `{field}`, or the alias of its undo). */
const PATH_FIELD = (operation: string): string =>
  operation.includes('snapshot') ? 'name' : operation.includes('initiator') ? 'alias' : 'id';

// `..` as the last path value of every path template: before the fix `..` as a name or alias sent
// `DELETE /v2.1/hostgroups/<id>/` or `DELETE /v2.1/disks/<id>/`.
const dotSegments: BadInput[] = Object.entries(PATH_OPERATIONS).map(([name, input]) =>
  operation(`'..' as the path value ${PATH_FIELD(name)} of ${name}`, {
    operation: name,
    input: { ...input, [PATH_FIELD(name)]: '..' },
  }),
);

const snapshotDelete = (name: string): unknown => ({ operation: 'delete-disk-snapshot', input: { disk_id: ID, name } });
const aliasRemove = (alias: string): unknown => ({
  operation: 'remove-hostgroup-initiator',
  input: { hostgroup_id: ID, alias },
});
const pathValues: BadInput[] = [
  operation("'.' as a snapshot name", snapshotDelete('.')),
  operation("'...' as a snapshot name", snapshotDelete('...')),
  operation('encoded dot segment as a snapshot name', snapshotDelete('%2e%2e')),
  operation('half-encoded dot segment as a snapshot name', snapshotDelete('.%2E')),
  operation("' ..' (leading space) as a snapshot name", snapshotDelete(' ..')),
  operation("'.. ' (trailing space) as a snapshot name", snapshotDelete('.. ')),
  operation('backslash traversal as a snapshot name', snapshotDelete('..\\x')),
  operation("'.' as an initiator alias", aliasRemove('.')),
  operation('encoded slash in an initiator alias', aliasRemove('a%2fb')),
  operation('fragment in an initiator alias', aliasRemove('a#b')),
  operation('DEL character in an initiator alias', aliasRemove('a\u007fb')),
  operation('tab before a dot segment in an alias', aliasRemove('\t..')),
  operation("'..' as the alias add-hostgroup-initiator's undo would send", {
    operation: 'add-hostgroup-initiator',
    input: { hostgroup_id: ID, alias: '..', initiator: 'iqn.1998-01.com.vmware:x' },
  }),
  operation("'..' as a mapped host group name of a new disk", {
    operation: 'create-disk',
    input: { ...diskFields(), hostgroup_mappings: ['..'] },
  }),
  operation("'..' as a clone's snapshot name", {
    operation: 'create-disk',
    input: { ...diskFields(), clone_from_disk_id: ID, clone_from_snapshot_name: '..' },
  }),
  provision(
    "a plan step deleting snapshot '..'",
    spoiled((p) => p.steps.push({ id: 'del', operation: 'delete-disk-snapshot', input: { disk_id: ID, name: '..' } })),
  ),
];

/** `{"a":{"a":...}}` `depth` levels deep around `leaf`, as JSON text. */
const nestedJson = (depth: number, leaf = '1'): string => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
/** The same as a value (only for depths JSON.stringify can still serialise). */
const nested = (depth: number): unknown => JSON.parse(nestedJson(depth));
const DEEP = 20_000;
const deepArrays = '['.repeat(DEEP) + ']'.repeat(DEEP);
const raw = (workflow: BadInput['workflow'], name: string, rawJson: string): BadInput => ({
  name,
  workflow,
  input: undefined,
  rawJson,
});

// Before the fix a recursive walk threw RangeError on such inputs: the workflow task failed and was retried forever.
const limits: BadInput[] = [
  operation('input nested 33 levels (one past the limit)', op({}, { tags: nested(31) })),
  operation('input nested 500 levels', op({}, { tags: nested(500) })),
  operation('resume state nested 100 levels', op({ resume: { jobId: 'job-1', before: nested(100) } })),
  operation('poll policy nested 100 levels', op({ poll: nested(100) })),
  operation('more than 100,000 values', op({}, { tags: new Array(100_001).fill(0) })),
  raw(
    'nseOperationWorkflow',
    'input nested 20,000 arrays deep (under 64 KiB)',
    `{"operation":"create-hostgroup","input":{${HOSTGROUP_JSON},"tags":${deepArrays}}}`,
  ),
  raw('nseOperationWorkflow', 'operation input that is 20,000 arrays deep', deepArrays),
  raw(
    'nseOperationWorkflow',
    'input nested 20,000 objects deep',
    `{"operation":"create-hostgroup","input":${nestedJson(DEEP)}}`,
  ),
  raw(
    'nseOperationWorkflow',
    'resume state nested 20,000 deep',
    `{"operation":"create-hostgroup","input":{${HOSTGROUP_JSON}},"resume":{"jobId":"j","before":${deepArrays}}}`,
  ),
  provision('plan nested 33 levels in a step input', spoiledStepInput(0, 'tags', nested(31))),
  provision('plan with a step input of 100,001 values', spoiledStepInput(0, 'tags', new Array(100_001).fill(0))),
  provision(
    'plan larger than 256 KiB',
    spoiled((p) => {
      p.steps = Array.from({ length: 5 }, (_, i) => ({
        id: `hg${i}`,
        operation: 'create-hostgroup',
        input: { ...hostgroup(), name: `hg-${i}`, note: 'x'.repeat(60_000) },
      }));
    }),
  ),
  raw(
    'provisionWorkflow',
    'plan step input nested 20,000 arrays deep',
    `{"name":"deep","steps":[{"id":"one","operation":"create-hostgroup","input":{"x":${deepArrays}}}]}`,
  ),
  raw('provisionWorkflow', 'plan that is 20,000 objects deep', nestedJson(DEEP)),
];

// Secrets have no field in any catalogue input (history is not secret-safe): a caller that tries is refused.
const secretFields: BadInput[] = [
  operation('an AD password for a CIFS file server', {
    operation: 'create-fileserver',
    input: {
      name: 'fs-cifs',
      subtenant_id: SIM_FIXTURES.subtenantId,
      zone: ZONE,
      subnet_id: ID,
      cifs_enabled: true,
      cifs_ad_password: 'ad-Secret-1',
    },
  }),
  operation('a password field in a host group', op({}, { password: 'hg-Secret-2' })),
  operation('a token in the poll policy', op({ poll: { token: 'poll-Secret-3' } })),
  operation('credentials in the resume state', op({ resume: { jobId: 'job-1', authorization: 'Bearer x' } })),
];

/** Every malformed input of the corpus: operation inputs first, then plans, then the findings of #15. */
export const BAD_INPUTS: readonly BadInput[] = [
  ...operationInputs,
  ...plans,
  ...dotSegments,
  ...pathValues,
  ...limits,
  ...secretFields,
];
