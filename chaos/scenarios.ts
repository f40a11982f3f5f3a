/**
 * What the chaos suite runs: N seeded scenarios (single operations and provisioning plans with mixed outcomes),
 * the simulator faults of each (as simulator rules), and what each scenario must end with. Pure data: nothing
 * here talks to a server.
 * @module
 */
import { findSubtenant, findTenant, SIM_FIXTURES } from '../simulator/fixtures';
import type { SimRule } from '../simulator/rules';
import { FailureType } from '../src/shared/failures';
import type { ProvisionPlan } from '../src/shared/plans';
import { PollMode, type OperationInput, type PollPolicy } from '../src/shared/workflow-api';
import type { Rng } from '../simulator/prng';

/** What a scenario is about; the name prefix of its resources (`fail-`, `partial-`, `warn-`) decides NSE's answer. */
export const Story = {
  /** One create that ends NORMAL. */
  OpSuccess: 'op-success',
  /** One create whose job shows WARNING twice, then NORMAL. */
  OpWarn: 'op-warn',
  /** One create that ends ERROR and is undone. */
  OpFail: 'op-fail',
  /** One create that ends PARTIAL_FAILURES and is undone. */
  OpPartial: 'op-partial',
  /** A bucket that ends ERROR: NSE cannot delete buckets, so the run reports manual clean-up. */
  OpManual: 'op-manual',
  /** One create cancelled while its job runs: the run waits for the job, undoes it and ends cancelled. */
  OpCancel: 'op-cancel',
  /**
   * One create whose job answers 404 once it finished (`vanishAfterTerminal`): the run reads the object to learn
   * how the job ended, so it succeeds (plain name) or is undone (`fail-` name).
   */
  OpVanish: 'op-vanish',
  /** A four-step plan that succeeds. */
  PlanSuccess: 'plan-success',
  /** A four-step plan whose third step ends ERROR: steps two and one are undone, newest first. */
  PlanThirdFails: 'plan-third-fails',
  /**
   * A four-step plan whose last step, a snapshot, has its job vanish: a snapshot cannot be read back, so that step
   * fails with JobVanished and steps three, two and one are undone.
   */
  PlanVanish: 'plan-vanish',
  /**
   * Adversarial only: a disk created with an inline host group, which NSE creates as its own object and task of the
   * disk's job; it ends NORMAL (both kept), PARTIAL_FAILURES (`partial-`: the host group task succeeded, so its host
   * group is Operational and must be undone too) or ERROR (`fail-`: the host group task is cancelled).
   */
  OpInline: 'op-inline',
  /** Adversarial only: one create whose job ends `cancelled` (a status word with no documented state); undone. */
  OpJobCancelled: 'op-job-cancelled',
  /**
   * Adversarial only: one create that ends ERROR in a run started with `onFailure: "hold"`; nobody decides, so after
   * its short hold the default decision (compensate) undoes it.
   */
  OpHold: 'op-hold',
  /**
   * Adversarial only: a nameless create (a block store: one per subtenant and zone; an object-storage account: one
   * per subtenant) on a key other scenarios contend for. The first request NSE takes makes the object and its run
   * reports it; every other is answered 412 and fails NseRejected naming that object, never adopting it (its request
   * differs: its tag or quota). Some answers are lost on the way back (the run must adopt its own object).
   */
  OpNameless: 'op-nameless',
  /**
   * Adversarial only: two runs started together that create objects of one name: in two tenants, or of two types
   * in one subtenant (a host group and a disk), some without a tenant; a lost answer makes one retry. Each must end
   * with its own object.
   */
  OpTwin: 'op-twin',
} as const;
export type Story = (typeof Story)[keyof typeof Story];

/** How a run ends: `success`, a failure type, or how Temporal closed it. */
export type Outcome = 'success' | FailureType | 'Cancelled' | 'Terminated' | 'TimedOut' | 'Stuck' | string;

/** The simulator fault variants the suite injects through rules; each names the rule kind it uses. */
export const SimFault = {
  Http500Submit: 'http500@submit',
  Http500Read: 'http500@read',
  Http429Submit: 'http429@submit',
  Http429Read: 'http429@read',
  DropSubmit: 'dropAfterProcessing@submit',
  DropRead: 'dropAfterProcessing@read',
  MalformedSubmit: 'malformedJson@submit',
  MalformedRead: 'malformedJson@read',
  UnknownState: 'unknownState@read',
  LatencySlowSubmit: 'latencyMs@submit',
  /** A read held longer than the read activity's 30 s start-to-close timeout. */
  LatencyBeyondTimeout: 'latencyMs@read-timeout',
  /** Adversarial only: a proxy's 302 to its login page on a job read. */
  Http302Read: 'http302Login@read',
  /** Adversarial only: a web application firewall's HTML 403 on a job read. */
  Http403HtmlRead: 'http403Html@read',
  /** Adversarial only: a bare 400 on a job read. */
  Http400Read: 'http400@read',
} as const;
export type SimFault = (typeof SimFault)[keyof typeof SimFault];

/** Where a worker kill is aimed. */
export const KillMoment = {
  /** While the create request is at NSE: the worker dies before it learns the job id (ambiguous submit). */
  Submit: 'submit',
  /** Just after a job read answered RUNNING, while the run waits on its timer. */
  BetweenPolls: 'between-polls',
  /** While the undo of a failed job is being submitted or polled. */
  Compensation: 'compensation',
} as const;
export type KillMoment = (typeof KillMoment)[keyof typeof KillMoment];

/** A worker kill aimed at one scenario's requests. */
export interface KillPlan {
  moment: KillMoment;
  /** For `compensation`: kill on the undo's DELETE request, or after the undo job's first read. */
  at: 'request' | 'read';
  /** Pause after the trigger before the kill, so the moment varies (seeded). */
  delayMs: number;
}

/** A resource the scenario means to create, by ledger key (`type:name`, snapshots `type:parent-step:name`). */
export interface IntendedResource {
  type: string;
  name: string;
  /** Plan step id, for plans. */
  step?: string;
}

/** One chaos run. */
export interface Scenario {
  index: number;
  /**
   * Unique in the chaos run; every resource name of the scenario contains `<token>-`, except nameless creates' and
   * twins', whose requests carry it instead (see chaos/invariants.ts).
   */
  token: string;
  workflowId: string;
  story: Story;
  kind: 'operation' | 'plan';
  operation?: OperationInput;
  plan?: ProvisionPlan;
  pollMode: PollMode;
  /** How the run must end. */
  expected: Outcome;
  /** Plans: the outcome of every step the failure must report. */
  expectedSteps?: string[];
  /** Resources the run creates (exactly once each) before it ends. */
  creates: IntendedResource[];
  /** True when every resource it created must still exist afterwards (successful runs). */
  keepsResources: boolean;
  faults: SimFault[];
  kill?: KillPlan;
  /** Cancel the run once its job has answered this many reads. */
  cancelAfterReads?: number;
  /** Simulator rules of this scenario, matched by the name token. */
  rules: SimRule[];
  /**
   * Nameless creates: `type|subtenant|zone` of the object other scenarios contend for; the outcome is `success` or
   * NseRejected naming the object another scenario's request made (see chaos/invariants.ts).
   */
  contention?: string;
}

/** Options of {@link planScenarios}. */
export interface ScenarioOptions {
  /** Prefix of workflow ids. */
  idPrefix: string;
  /** Kills per moment (submit, between polls, compensation). */
  killsPerMoment: number;
  /**
   * Also draw what the NSE docs allow and the client may not expect: every job shape (status only, state only,
   * state words in status, `type` or `object_type`, request echoed as a JSON string, texts quoting request values
   * and secrets), read faults from in front of NSE (302 login, 403 HTML, 400), inline host groups and jobs that
   * end `cancelled`. Off by default until the client's job model reads them all (issue #14).
   */
  adversarial?: boolean;
}

/** The stories and faults only an adversarial run draws. */
const ADVERSARIAL_STORIES: ReadonlySet<Story> = new Set<Story>([
  Story.OpInline,
  Story.OpJobCancelled,
  Story.OpHold,
  Story.OpNameless,
  Story.OpTwin,
]);
/** Stories whose names carry no scenario token: the name-matched rules and the harness's kills cannot find them. */
const UNTOKENED: ReadonlySet<Story> = new Set<Story>([Story.OpNameless, Story.OpTwin]);
const ADVERSARIAL_FAULTS: ReadonlySet<SimFault> = new Set<SimFault>([
  SimFault.Http302Read,
  SimFault.Http403HtmlRead,
  SimFault.Http400Read,
]);

/** An account's quota names the scenario that asked for it (accounts take no tags): this plus its index. */
export const ACCOUNT_QUOTA_BASE = 20_000;

/** The scenario token of index `i`: every resource name of a named scenario contains `<token>-`. */
export const tokenOf = (index: number): string => `r${String(index).padStart(5, '0')}`;

const SUBTENANT = SIM_FIXTURES.subtenantId;
const ZONE = SIM_FIXTURES.zone;
const S3_POLICY = { Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::chaos/*'] }] };
const EXPORT_POLICY = [{ client_match: '10.0.0.0/24', access: 'readwrite', superuser: 'none' }];

/** Poll timing of every chaos run: the dev server fires timers with about 1 s granularity anyway. */
const POLL: Partial<PollPolicy> = { initialIntervalMs: 1_000, maxIntervalMs: 2_000 };

type OpName = 'create-hostgroup' | 'create-disk' | 'create-fileserver' | 'create-objectiam-group' | 'create-bucket';

const RESOURCE_OF: Record<OpName, string> = {
  'create-hostgroup': 'hostgroup',
  'create-disk': 'disk',
  'create-fileserver': 'fileserver',
  'create-objectiam-group': 'objectiam-group',
  'create-bucket': 'bucket',
};

function operationInput(operation: OpName, name: string): Record<string, unknown> {
  switch (operation) {
    case 'create-hostgroup':
      return { name, subtenant_id: SUBTENANT, zone: ZONE, protocol: 'iscsi', os_type: 'linux' };
    case 'create-disk':
      return diskInput(name, []);
    case 'create-fileserver':
      return { name, subtenant_id: SUBTENANT, zone: ZONE, subnet_id: SIM_FIXTURES.subnetId };
    case 'create-objectiam-group':
      return { name, subtenant_id: SUBTENANT, s3_policy: S3_POLICY };
    case 'create-bucket':
      return { name, subtenant_id: SUBTENANT };
  }
}

function diskInput(name: string, mappings: string[]): Record<string, unknown> {
  return {
    subtenant_id: SUBTENANT,
    zone: ZONE,
    name,
    disk_path: `/vol/${name.replace(/-/g, '_')}`,
    protocol: 'iscsi',
    os_type: 'linux',
    hostgroup_mappings: mappings,
    service_level: 'premium',
    size_gb: 64,
  };
}

function shareInput(name: string, fileserverRef: string): Record<string, unknown> {
  return {
    name,
    share_path: `/${name.replace(/-/g, '_')}`,
    fileserver_id: fileserverRef,
    size_gb: 100,
    service_level: 'standard',
    protocol: 'nfs',
    security_style: 'unix',
    export_policy: EXPORT_POLICY,
  };
}

interface PlanTemplate {
  steps: { id: string; operation: string; input: Record<string, unknown> }[];
  creates: IntendedResource[];
}

/**
 * Four-step plans; the third step is a named create, so a `fail-` prefix makes it end ERROR. With `sameNames`, the
 * block plan's host group and first disk share one name: names collide across types, and only the object type
 * tells their jobs apart.
 */
function planTemplate(
  family: 'block' | 'file' | 'iam',
  token: string,
  thirdPrefix: string,
  sameNames = false,
): PlanTemplate {
  const third = `${thirdPrefix}${token}`;
  const hostgroupName = sameNames ? `${token}-disk` : `${token}-hg`;
  switch (family) {
    case 'block':
      return {
        steps: [
          { id: 'hg', operation: 'create-hostgroup', input: operationInput('create-hostgroup', hostgroupName) },
          { id: 'disk', operation: 'create-disk', input: diskInput(`${token}-disk`, ['${steps.hg.input.name}']) },
          { id: 'disk2', operation: 'create-disk', input: diskInput(`${third}-disk2`, ['${steps.hg.input.name}']) },
          {
            id: 'snap',
            operation: 'create-disk-snapshot',
            input: { disk_id: '${steps.disk.objectId}', name: `${token}-snap` },
          },
        ],
        creates: [
          { step: 'hg', type: 'hostgroup', name: hostgroupName },
          { step: 'disk', type: 'disk', name: `${token}-disk` },
          { step: 'disk2', type: 'disk', name: `${third}-disk2` },
          { step: 'snap', type: 'disk-snapshot', name: `${token}-snap` },
        ],
      };
    case 'file':
      return {
        steps: [
          { id: 'fs', operation: 'create-fileserver', input: operationInput('create-fileserver', `${token}-fs`) },
          { id: 'share', operation: 'create-fileshare', input: shareInput(`${token}-share`, '${steps.fs.objectId}') },
          { id: 'share2', operation: 'create-fileshare', input: shareInput(`${third}-share2`, '${steps.fs.objectId}') },
          {
            id: 'snap',
            operation: 'create-fileshare-snapshot',
            input: { fileshare_id: '${steps.share.objectId}', name: `${token}-snap` },
          },
        ],
        creates: [
          { step: 'fs', type: 'fileserver', name: `${token}-fs` },
          { step: 'share', type: 'fileshare', name: `${token}-share` },
          { step: 'share2', type: 'fileshare', name: `${third}-share2` },
          { step: 'snap', type: 'fileshare-snapshot', name: `${token}-snap` },
        ],
      };
    case 'iam':
      return {
        steps: [
          {
            id: 'group',
            operation: 'create-objectiam-group',
            input: operationInput('create-objectiam-group', `${token}-grp`),
          },
          {
            id: 'user',
            operation: 'create-objectiam-user',
            input: {
              display_name: `${token}-user`,
              subtenant_id: SUBTENANT,
              sg_group_membership: ['${steps.group.objectId}'],
            },
          },
          {
            id: 'group2',
            operation: 'create-objectiam-group',
            input: operationInput('create-objectiam-group', `${third}-grp2`),
          },
          { id: 'bucket', operation: 'create-bucket', input: operationInput('create-bucket', `${token}-bkt`) },
        ],
        creates: [
          { step: 'group', type: 'objectiam-group', name: `${token}-grp` },
          { step: 'user', type: 'objectiam-user', name: `${token}-user` },
          { step: 'group2', type: 'objectiam-group', name: `${third}-grp2` },
          { step: 'bucket', type: 'bucket', name: `${token}-bkt` },
        ],
      };
  }
}

const STORY_WEIGHTS: readonly [Story, number][] = [
  [Story.OpSuccess, 18],
  [Story.OpWarn, 9],
  [Story.OpFail, 14],
  [Story.OpPartial, 8],
  [Story.OpManual, 5],
  [Story.OpCancel, 6],
  [Story.OpVanish, 5],
  [Story.PlanSuccess, 15],
  [Story.PlanThirdFails, 15],
  [Story.PlanVanish, 4],
  [Story.OpInline, 10],
  [Story.OpJobCancelled, 4],
  [Story.OpHold, 4],
  [Story.OpNameless, 5],
  [Story.OpTwin, 6],
];

function weightedStory(rng: Rng, stories: readonly Story[]): Story {
  const weights = STORY_WEIGHTS.filter(([story]) => stories.includes(story));
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let draw = rng.next() * total;
  for (const [story, weight] of weights) {
    draw -= weight;
    if (draw < 0) return story;
  }
  return Story.OpSuccess;
}

const PREFIX: Partial<Record<Story, string>> = {
  [Story.OpWarn]: 'warn-',
  [Story.OpFail]: 'fail-',
  [Story.OpPartial]: 'partial-',
  [Story.OpManual]: 'fail-',
  [Story.OpHold]: 'fail-',
};

const EXPECTED: Record<Story, Outcome> = {
  [Story.OpSuccess]: 'success',
  [Story.OpWarn]: 'success',
  [Story.OpFail]: FailureType.NseJobFailed,
  [Story.OpPartial]: FailureType.NseJobFailed,
  [Story.OpManual]: FailureType.NseJobFailed,
  [Story.OpCancel]: 'Cancelled',
  [Story.OpVanish]: 'success',
  [Story.PlanSuccess]: 'success',
  [Story.PlanThirdFails]: FailureType.ProvisioningFailed,
  [Story.PlanVanish]: FailureType.ProvisioningFailed,
  [Story.OpInline]: 'success',
  [Story.OpJobCancelled]: FailureType.NseJobFailed,
  [Story.OpHold]: FailureType.NseJobFailed,
  [Story.OpNameless]: 'success',
  [Story.OpTwin]: 'success',
};

const SINGLE_OPS: readonly OpName[] = [
  'create-hostgroup',
  'create-disk',
  'create-fileserver',
  'create-objectiam-group',
  'create-bucket',
];
// A failed bucket cannot be undone (that is the op-manual story), so the undo stories use the other operations.
const UNDOABLE_OPS = SINGLE_OPS.filter((op) => op !== 'create-bucket');

/** Builds one scenario's workflow input and expectations (faults and kills are added later). */
function buildScenario(index: number, story: Story, rng: Rng, idPrefix: string, adversarial: boolean): Scenario {
  const token = tokenOf(index);
  const workflowId = `${idPrefix}-${token}`;
  const base = { index, token, workflowId, story, expected: EXPECTED[story], faults: [], rules: [] };
  const pollMode = rng.pick([
    PollMode.Local,
    PollMode.Local,
    PollMode.Local,
    PollMode.Local,
    PollMode.Activity,
    PollMode.LongPoll,
  ]);
  const poll = { ...POLL, mode: pollMode, ...(pollMode === PollMode.LongPoll ? { longPollSeconds: 5 } : {}) };
  if (story === Story.PlanSuccess || story === Story.PlanThirdFails || story === Story.PlanVanish) {
    // Only block and file plans end on a snapshot, the step whose vanished job nothing can be read back for.
    const family = rng.pick(
      story === Story.PlanVanish ? (['block', 'file'] as const) : (['block', 'file', 'iam'] as const),
    );
    const thirdFails = story === Story.PlanThirdFails;
    const sameNames = adversarial && family === 'block' && rng.chance(0.5);
    const template = planTemplate(family, token, thirdFails ? 'fail-' : '', sameNames);
    const expectedSteps: Partial<Record<Story, string[]>> = {
      [Story.PlanThirdFails]: ['compensated', 'compensated', 'failed', 'pending'],
      [Story.PlanVanish]: ['compensated', 'compensated', 'compensated', 'failed'],
    };
    return {
      ...base,
      kind: 'plan',
      pollMode,
      plan: { name: `chaos-${family}-${token}`, tenantId: SIM_FIXTURES.tenantId, steps: template.steps, poll },
      creates: thirdFails ? template.creates.slice(0, 3) : template.creates,
      keepsResources: story === Story.PlanSuccess,
      ...(expectedSteps[story] ? { expectedSteps: expectedSteps[story] } : {}),
    };
  }
  if (story === Story.OpInline) return inlineScenario(base, pollMode, poll, rng);
  if (story === Story.OpNameless) return namelessScenario(base, pollMode, poll, rng);
  if (story === Story.OpTwin) return twinScenario(base, pollMode, poll, rng);
  let operation: OpName;
  if (story === Story.OpManual) operation = 'create-bucket';
  else if (
    story === Story.OpFail ||
    story === Story.OpPartial ||
    story === Story.OpCancel ||
    story === Story.OpJobCancelled ||
    story === Story.OpHold
  )
    operation = rng.pick(UNDOABLE_OPS);
  else operation = rng.pick(SINGLE_OPS);
  // A vanished job keeps its fate, NORMAL or ERROR, and the run learns it from the object.
  const vanishFails = story === Story.OpVanish && rng.chance(0.5);
  if (vanishFails) operation = rng.pick(UNDOABLE_OPS);
  const prefix = vanishFails ? 'fail-' : (PREFIX[story] ?? '');
  const name = `${prefix}${token}-${RESOURCE_OF[operation].replace(/[^a-z]/g, '').slice(0, 6)}`;
  const succeeds = story === Story.OpSuccess || story === Story.OpWarn || (story === Story.OpVanish && !vanishFails);
  return {
    ...base,
    ...(vanishFails ? { expected: FailureType.NseJobFailed } : {}),
    kind: 'operation',
    pollMode,
    operation: {
      operation,
      tenantId: SIM_FIXTURES.tenantId,
      input: operationInput(operation, name),
      poll,
      ...(story === Story.OpHold ? { onFailure: 'hold' as const, holdTimeoutMs: 1_500 } : {}),
    },
    creates: [{ type: RESOURCE_OF[operation], name }],
    keepsResources: succeeds,
  };
}

/** A disk with one inline host group; its fate drawn from its name: NORMAL, PARTIAL_FAILURES or ERROR. */
function inlineScenario(
  base: Pick<Scenario, 'index' | 'token' | 'workflowId' | 'story' | 'expected' | 'faults' | 'rules'>,
  pollMode: PollMode,
  poll: Partial<PollPolicy>,
  rng: Rng,
): Scenario {
  const prefix = rng.pick(['', '', 'partial-', 'fail-']);
  const disk = `${prefix}${base.token}-disk`;
  // Half the time the host group is named like the disk: names that collide across types in one job.
  const hostgroup = rng.chance(0.5) ? `${base.token}-disk` : `${base.token}-ihg`;
  const input = {
    ...diskInput(disk, [hostgroup]),
    hostgroups: [
      { name: hostgroup, initiators: [{ alias: `${base.token}-h1`, initiator: `iqn.2026-12.chaos:${base.token}` }] },
    ],
  };
  return {
    ...base,
    expected: prefix === '' ? 'success' : FailureType.NseJobFailed,
    kind: 'operation',
    pollMode,
    operation: { operation: 'create-disk', tenantId: SIM_FIXTURES.tenantId, input, poll },
    creates: [
      { type: 'disk', name: disk },
      { type: 'hostgroup', name: hostgroup },
    ],
    keepsResources: prefix === '',
  };
}

/** The nameless objects chaos contends for: one block store per subtenant and zone, one account per subtenant. */
const NAMELESS_KEYS = [
  {
    operation: 'create-blockstore',
    tenantId: SIM_FIXTURES.tenantId,
    input: { subtenant_id: SIM_FIXTURES.otherSubtenantId, zone: ZONE, subnet_id: SIM_FIXTURES.otherSubnetId },
  },
  {
    // Gen-1 network, the VLAN as the docs' examples send it: a string.
    operation: 'create-blockstore',
    tenantId: SIM_FIXTURES.otherTenantId,
    input: {
      tenant_id: SIM_FIXTURES.otherTenantId,
      subtenant_id: SIM_FIXTURES.foreignSubtenantId,
      zone: SIM_FIXTURES.otherZone,
      subnet: '10.20.0.0/24',
      vlan_id: '881',
    },
  },
  {
    operation: 'create-blockstore',
    tenantId: SIM_FIXTURES.tenantId,
    input: {
      tenant_id: SIM_FIXTURES.tenantId,
      subtenant_id: SUBTENANT,
      zone: SIM_FIXTURES.otherZone,
      subnet: '10.30.0.0/24',
      vlan_id: 882,
    },
  },
  // The seeded subtenant's account is the suite's fixture: contend for the other two.
  {
    operation: 'create-objectstorage-account',
    tenantId: SIM_FIXTURES.tenantId,
    input: { subtenant_id: SIM_FIXTURES.otherSubtenantId },
  },
  {
    operation: 'create-objectstorage-account',
    tenantId: SIM_FIXTURES.otherTenantId,
    input: { subtenant_id: SIM_FIXTURES.foreignSubtenantId },
  },
] as const;

type ScenarioBase = Pick<Scenario, 'index' | 'token' | 'workflowId' | 'story' | 'expected' | 'faults' | 'rules'>;

/** A nameless create on a drawn key; its request carries its token (a tag, or an account's quota). */
function namelessScenario(base: ScenarioBase, pollMode: PollMode, poll: Partial<PollPolicy>, rng: Rng): Scenario {
  const key = rng.pick(NAMELESS_KEYS);
  const blockstore = key.operation === 'create-blockstore';
  const input: Record<string, unknown> = blockstore
    ? { ...key.input, tags: { chaos: base.token } }
    : { ...key.input, quota_gb: ACCOUNT_QUOTA_BASE + base.index };
  const subtenant = key.input.subtenant_id;
  const zone = 'zone' in key.input ? key.input.zone : '';
  const type = blockstore ? 'blockstore' : 'objectstorage-account';
  const sub = findSubtenant(subtenant);
  const name = blockstore ? `${subtenant}_${zone}` : `${findTenant(sub?.tenant_id ?? '')?.name} - ${sub?.name}`;
  return {
    ...base,
    kind: 'operation',
    pollMode,
    // Half the runs give no tenant: the client then looks through every tenant's jobs.
    operation: { operation: key.operation, ...(rng.chance(0.5) ? { tenantId: key.tenantId } : {}), input, poll },
    creates: [{ type, name }],
    keepsResources: true,
    contention: `${type}|${subtenant}|${zone}`,
  };
}

/** The first of a pair of twins: a tagged object of a plain name; {@link pairTwins} makes the second its twin. */
function twinScenario(base: ScenarioBase, pollMode: PollMode, poll: Partial<PollPolicy>, rng: Rng): Scenario {
  const operation = rng.pick(['create-hostgroup', 'create-disk'] as const);
  const name = `twin${base.index}`;
  return {
    ...base,
    kind: 'operation',
    pollMode,
    operation: {
      operation,
      tenantId: SIM_FIXTURES.tenantId,
      input: { ...operationInput(operation, name), tags: { chaos: base.token } },
      poll,
    },
    creates: [{ type: RESOURCE_OF[operation], name }],
    keepsResources: true,
  };
}

/**
 * Pairs the op-twin scenarios in order: the second of each pair takes the first's name, in another tenant (the
 * foreign subtenant; half without a tenant) or as another type in the same subtenant (a host group beside a disk).
 * A lost answer on the pair's name makes whichever create comes first retry.
 */
function pairTwins(scenarios: readonly Scenario[], rng: Rng): void {
  const twins = scenarios.filter((s) => s.story === Story.OpTwin);
  for (let i = 0; i + 1 < twins.length; i += 2) {
    const first = twins[i] as Scenario;
    const second = twins[i + 1] as Scenario;
    const firstOp = first.operation?.operation as OpName;
    const name = first.creates[0]?.name as string;
    const op: OpName = rng.chance(0.5) ? firstOp : firstOp === 'create-hostgroup' ? 'create-disk' : 'create-hostgroup';
    const foreign = op === firstOp;
    const input: Record<string, unknown> = { ...operationInput(op, name), tags: { chaos: second.token } };
    if (foreign) input.subtenant_id = SIM_FIXTURES.foreignSubtenantId;
    second.operation = {
      operation: op,
      ...(foreign && rng.chance(0.5) ? {} : { tenantId: foreign ? SIM_FIXTURES.otherTenantId : SIM_FIXTURES.tenantId }),
      input,
      poll: second.operation?.poll ?? POLL,
    };
    second.creates = [{ type: RESOURCE_OF[op], name }];
    if (rng.chance(0.5))
      first.rules.push({
        comment: `twins ${first.token}/${second.token}: a lost answer`,
        match: { name, method: 'POST' },
        faults: { dropAfterProcessing: { times: 1 } },
      });
  }
}

/** Rules every adversarial run carries: lost answers to nameless creates, which no name-matched rule can reach. */
function namelessRules(scenarios: readonly Scenario[]): SimRule[] {
  const count = scenarios.filter((s) => s.story === Story.OpNameless).length;
  if (count === 0) return [];
  const times = Math.max(1, Math.round(count / 8));
  return ['create-blockstore', 'create-objectstorage-account'].map((operation) => ({
    comment: `nameless ${operation}: lost answers`,
    match: { operation, method: 'POST' },
    faults: { dropAfterProcessing: { times } },
  }));
}

/** One of the job shapes the docs allow (nse-api.md §6, §9), for every job a scenario's rules create. */
function drawJobShape(rng: Rng): NonNullable<SimRule['jobShape']> {
  return {
    fields: rng.pick(['both', 'status', 'state'] as const),
    statusWords: rng.pick(['status', 'status', 'state'] as const),
    typeField: rng.pick(['both', 'type', 'object_type', 'documented'] as const),
    requestPayload: rng.pick(['object', 'string'] as const),
    texts: rng.pick(['plain', 'quoting'] as const),
  };
}

/** The rule faults of one variant: where it fires (`submit`: the create request, `read`: later requests). */
function faultRule(fault: SimFault, rng: Rng): { on: 'submit' | 'read'; faults: NonNullable<SimRule['faults']> } {
  switch (fault) {
    case SimFault.Http500Submit:
      return { on: 'submit', faults: { http500: { times: rng.int(2, 3) } } };
    case SimFault.Http500Read:
      return { on: 'read', faults: { http500: { times: rng.int(2, 4), skip: rng.int(0, 1) } } };
    case SimFault.Http429Submit:
      return { on: 'submit', faults: { http429: { times: rng.int(1, 2), retryAfterSeconds: rng.int(1, 3) } } };
    case SimFault.Http429Read:
      return { on: 'read', faults: { http429: { times: 2, retryAfterSeconds: rng.int(1, 2), skip: rng.int(0, 1) } } };
    case SimFault.DropSubmit:
      return { on: 'submit', faults: { dropAfterProcessing: { times: 1 } } };
    case SimFault.DropRead:
      return { on: 'read', faults: { dropAfterProcessing: { times: 1, skip: rng.int(0, 1) } } };
    case SimFault.MalformedSubmit:
      return { on: 'submit', faults: { malformedJson: { times: 1 } } };
    case SimFault.MalformedRead:
      return { on: 'read', faults: { malformedJson: { times: 1, skip: rng.int(0, 1) } } };
    case SimFault.UnknownState:
      return {
        on: 'read',
        faults: { unknownState: { times: rng.int(1, 3), word: rng.pick(['RECONCILING', 'QUEUED_FOR_RETRY', 'HOLD']) } },
      };
    case SimFault.LatencySlowSubmit:
      return { on: 'submit', faults: { latencyMs: { ms: rng.int(1_500, 4_000), times: 1 } } };
    case SimFault.Http302Read:
      return { on: 'read', faults: { http302Login: { times: rng.int(1, 2), skip: rng.int(0, 1) } } };
    case SimFault.Http403HtmlRead:
      return { on: 'read', faults: { http403Html: { times: rng.int(1, 2), skip: rng.int(0, 1) } } };
    case SimFault.Http400Read:
      return { on: 'read', faults: { http400: { times: rng.int(1, 2), skip: rng.int(0, 1) } } };
    case SimFault.LatencyBeyondTimeout:
      // 40 s: past the 30 s start-to-close timeout of a local-activity read (the worker's NSE_TIMEOUT_MS is raised
      // above it, so the activity timeout, not the HTTP client, ends the read).
      return { on: 'read', faults: { latencyMs: { ms: 40_000, times: 1 } } };
  }
}

/**
 * The simulator rules of a scenario: one for its create requests, one for everything else it causes. A `jobShape`
 * in `extraSubmit` shapes the undo jobs too.
 */
function scenarioRules(s: Scenario, rng: Rng, extraSubmit: Partial<SimRule> = {}): SimRule[] {
  const name = `*${s.token}-*`;
  const submit: NonNullable<SimRule['faults']> = {};
  const read: NonNullable<SimRule['faults']> = {};
  for (const fault of s.faults) {
    const { on, faults } = faultRule(fault, rng);
    Object.assign(on === 'submit' ? submit : read, faults);
  }
  if (s.story === Story.OpVanish) read.vanishAfterTerminal = { times: 1 };
  const rules: SimRule[] = [];
  if (s.story === Story.PlanVanish) {
    // Its own rule, first: the snapshot's job, not the first job of the plan, is the one that vanishes.
    rules.push({
      comment: `${s.token} snapshot vanishes`,
      match: { name: `${s.token}-snap`, method: 'GET' },
      faults: { vanishAfterTerminal: { times: 1 } },
    });
  }
  // Creates always stop at the first rule, so the faults meant for reads and undo never fire on a create.
  if (Object.keys(submit).length > 0 || Object.keys(extraSubmit).length > 0 || Object.keys(read).length > 0) {
    rules.push({ comment: `${s.token} creates`, match: { name, method: 'POST' }, ...extraSubmit, faults: submit });
  }
  const shape = extraSubmit.jobShape ? { jobShape: extraSubmit.jobShape } : {};
  if (Object.keys(read).length > 0 || extraSubmit.jobShape) {
    rules.push({ comment: `${s.token} reads and undo`, match: { name }, ...shape, faults: read });
  }
  return rules;
}

/**
 * Draws N scenarios: every story and every fault variant at least once when N allows (coverage first, then
 * weighted draws), kills aimed at clean runs of fitting stories, and the rules that script it all.
 */
export function planScenarios(count: number, rng: Rng, options: ScenarioOptions): Scenario[] {
  const adversarial = options.adversarial === true;
  const allStories = Object.values(Story).filter((story) => adversarial || !ADVERSARIAL_STORIES.has(story));
  const ALL_FAULTS = Object.values(SimFault).filter((fault) => adversarial || !ADVERSARIAL_FAULTS.has(fault));
  const storyRng = rng.fork('stories');
  const stories = storyRng.shuffle(allStories).slice(0, count);
  while (stories.length < count) stories.push(weightedStory(storyRng, allStories));
  const ordered = adjacentTwins(storyRng.shuffle(stories));
  const buildRng = rng.fork('build');
  const scenarios = ordered.map((story, index) => buildScenario(index, story, buildRng, options.idPrefix, adversarial));

  // Kills go to runs without simulator faults, so each kill's moment is the only disturbance of its target.
  const killRng = rng.fork('kills');
  const taken = new Set<number>();
  const candidates = (stories: Story[]): Scenario[] =>
    killRng.shuffle(scenarios.filter((s) => stories.includes(s.story) && !taken.has(s.index)));
  const assignKills = (moment: KillMoment, stories: Story[]): void => {
    for (const target of candidates(stories).slice(0, options.killsPerMoment)) {
      taken.add(target.index);
      target.kill = {
        moment,
        at:
          moment === KillMoment.Compensation
            ? killRng.pick(['request', 'read'] as const)
            : moment === KillMoment.Submit
              ? 'request'
              : 'read',
        delayMs: moment === KillMoment.BetweenPolls ? killRng.int(100, 700) : 0,
      };
    }
  };
  assignKills(KillMoment.Compensation, [Story.OpFail, Story.OpPartial, Story.PlanThirdFails, Story.OpJobCancelled]);
  assignKills(KillMoment.Submit, [Story.OpSuccess, Story.OpFail, Story.OpWarn, Story.PlanSuccess]);
  assignKills(KillMoment.BetweenPolls, [Story.OpSuccess, Story.OpFail, Story.OpPartial, Story.OpWarn]);

  const faultRng = rng.fork('faults');
  for (const s of scenarios) if (s.story === Story.OpCancel) taken.add(s.index);
  const eligible = faultRng.shuffle(scenarios.filter((s) => !taken.has(s.index) && !UNTOKENED.has(s.story)));
  // Coverage first: each variant once, on distinct runs; then about half of the rest get one more variant.
  ALL_FAULTS.forEach((fault, i) => {
    const target = eligible[i];
    if (target) target.faults.push(fault);
  });
  for (const s of eligible.slice(ALL_FAULTS.length)) if (faultRng.chance(0.5)) s.faults.push(faultRng.pick(ALL_FAULTS));
  for (const s of eligible) if (faultRng.chance(0.15)) s.faults.push(faultRng.pick(ALL_FAULTS));

  const ruleRng = rng.fork('rules');
  const shapeRng = rng.fork('shapes');
  for (const s of scenarios) {
    // Faults of one rule fire on that rule's requests: keep two variants of one kind from sharing a counter.
    const kinds = new Set<string>();
    s.faults = s.faults.filter((f) => {
      const kind = f.split('@')[0] as string;
      if (kinds.has(kind)) return false;
      kinds.add(kind);
      return true;
    });
    // The 40 s read only outlasts a local read's timeout; long-poll and activity reads have their own.
    if (s.faults.includes(SimFault.LatencyBeyondTimeout)) setPollMode(s, PollMode.Local);
    let extra: Partial<SimRule> = {};
    if (s.story === Story.OpCancel) {
      extra = { states: ['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'] };
      s.cancelAfterReads = ruleRng.int(1, 3);
      setPollMode(s, PollMode.Local);
    }
    if (s.story === Story.OpJobCancelled) extra = { outcome: 'CANCELLED' };
    if (s.kill) setPollMode(s, PollMode.Local);
    // Shapes come from their own stream: a plain run draws exactly what it drew before shapes existed.
    if (adversarial) extra = { ...extra, jobShape: drawJobShape(shapeRng) };
    if (!UNTOKENED.has(s.story)) s.rules = scenarioRules(s, ruleRng, extra);
  }
  pairTwins(scenarios, rng.fork('twins'));
  return scenarios;
}

/** Moves each op-twin story next to the following one, so the two runs of a pair start together. */
function adjacentTwins(stories: Story[]): Story[] {
  const out = [...stories];
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== Story.OpTwin) continue;
    const j = out.findIndex((story, k) => k > i && story === Story.OpTwin);
    if (j < 0) break;
    [out[i + 1], out[j]] = [out[j] as Story, out[i + 1] as Story];
    i++;
  }
  return out;
}

function setPollMode(s: Scenario, mode: PollMode): void {
  s.pollMode = mode;
  const poll = { ...POLL, mode };
  if (s.operation) s.operation.poll = poll;
  if (s.plan) s.plan.poll = poll;
}

/** Every rule of every scenario, in scenario order (a request's first matching rule wins). */
export function allRules(scenarios: readonly Scenario[]): SimRule[] {
  return [...namelessRules(scenarios), ...scenarios.flatMap((s) => s.rules)];
}
