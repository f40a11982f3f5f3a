/**
 * A dry run: what a run would ask of NSE, without calling NSE or starting a workflow (Terraform's `plan`). The input
 * is validated by the workflow's own functions (`parseOperationInput`, `parsePlan`, `parseBulk`), so what passes here
 * passes there, and what fails throws the same `InvalidInput` failure. Then every request the run makes is listed in
 * order (method, path, body with secrets masked), each with its undo, the run's fairness key and priorities, and for
 * a plan the references it resolves at run time.
 * @module
 */
import { parseBulk, type BulkInput } from '../shared/bulk';
import {
  buildRequest,
  describeOperation,
  findOperation,
  type HttpMethod,
  type OperationSpec,
} from '../shared/operations';
import { fillPath } from '../shared/nse-paths';
import { parsePlan, type ProvisionPlan } from '../shared/plans';
import { redactSecrets } from '../common/redact';
import { parseOperationFields, parseOperationInput } from '../shared/validation';
import { nseFairnessKey, type OperationInput } from '../shared/workflow-api';
import { NsePriority } from '../workflows/nse-calls';

/** One HTTP request to NSE. */
export interface DryRunCall {
  operation: string;
  method: HttpMethod | 'GET';
  /** Under the API base; a value known only at run time appears as `${...}` (an object id, a plan's reference). */
  path: string;
  /** The JSON body, secrets masked; absent when the call has none. */
  body?: Record<string, unknown>;
}

/** One request of the run and what undoing it takes. */
export interface DryRunRequest extends DryRunCall {
  /** The plan step or bulk item it belongs to. */
  step?: string;
  item?: string;
  /** The run's one-line summary of the call. */
  summary: string;
  /** The read made first, for an update's undo (the values it will put back). */
  readBefore?: DryRunCall;
  /** The undo's call, or why there is none (NSE has no undo for it: a failed run reports manual clean-up). */
  undo: DryRunCall | { none: string };
}

/** A value a plan step takes from an earlier step. */
export interface DryRunReference {
  step: string;
  /** Where in the step's input, e.g. `input.disk_id`. */
  field: string;
  reference: string;
  /** `run time`: the object or job id NSE gives the earlier step; otherwise the earlier step's input value. */
  resolvedAt: 'run time' | 'now';
}

/** What `dryRun` answers. */
export interface DryRun {
  kind: 'operation' | 'plan' | 'bulk';
  name: string;
  /** The fairness key of the run's NSE calls (its tenant). */
  fairnessKey: string;
  /** Temporal priority keys (1 first) of the NSE calls: an undo's, and every other call's (submits and job reads). */
  priority: { undo: number; calls: number };
  requests: DryRunRequest[];
  references: DryRunReference[];
}

/** What to dry-run: one operation, a plan or a bulk, as the client library's start calls take them. */
export type DryRunInput = { operation: OperationInput } | { plan: ProvisionPlan } | { bulk: BulkInput };

const PRIORITY = { undo: NsePriority.Compensation, calls: NsePriority.Call };
/** How a job's object id is shown before NSE has given it. */
export const OBJECT_ID = '${objectId}';
/** How an updated field's current value is shown: the run reads it just before the update. */
const VALUE_BEFORE = '${value read before}';

/**
 * Validates `input` as the workflow would and lists what its run would ask of NSE. Throws the workflow's
 * `InvalidInput` failure (an `ApplicationFailure` of type `InvalidInput`) for input a run would refuse.
 */
export function dryRun(input: DryRunInput): DryRun {
  if ('operation' in input) return dryRunOperation(input.operation);
  if ('plan' in input) return dryRunPlan(input.plan);
  return dryRunBulk(input.bulk);
}

function dryRunOperation(raw: OperationInput): DryRun {
  const { spec, fields, tenantId } = parseOperationInput(raw);
  return {
    kind: 'operation',
    name: spec.name,
    fairnessKey: nseFairnessKey(tenantId),
    priority: PRIORITY,
    requests: [describeRequest(spec, fields)],
    references: [],
  };
}

function dryRunBulk(raw: BulkInput): DryRun {
  const bulk = parseBulk(raw);
  const requests = bulk.items.map(({ item, request }) => {
    // Each item's run parses its fields itself; its defaults are what it sends.
    const { spec, fields } = parseOperationFields(request.operation, request.input);
    return { item: item.key, ...describeRequest(spec, fields) };
  });
  const tenants = new Set(bulk.items.map(({ request }) => nseFairnessKey(request.tenantId)));
  return {
    kind: 'bulk',
    name: bulk.input.name,
    // Each item's run has its own tenant's key; one key when they share it.
    fairnessKey: [...tenants].join(', ') || nseFairnessKey(bulk.input.tenantId),
    priority: PRIORITY,
    requests,
    references: [],
  };
}

function dryRunPlan(raw: ProvisionPlan): DryRun {
  const plan = parsePlan(raw);
  const references: DryRunReference[] = [];
  const inputs = new Map<string, Record<string, unknown>>();
  const requests = plan.steps.map((step) => {
    const spec = findOperation(step.operation) as OperationSpec; // parsePlan refused unknown operations
    const resolved = resolveForDryRun(step.id, step.input, inputs, references, 'input');
    const { fields } = parseOperationFields(step.operation, resolved.value, `steps.${step.id}.input`);
    inputs.set(step.id, fields);
    return { step: step.id, ...describeRequest(spec, fields, resolved.tokens) };
  });
  const reused = new Set(Object.keys(plan.reused ?? {})); // a redrive's steps done before make no call
  return {
    kind: 'plan',
    name: plan.name,
    fairnessKey: nseFairnessKey(plan.tenantId),
    priority: PRIORITY,
    requests: requests.filter((request) => !reused.has(request.step)),
    references,
  };
}

const REFERENCE = /^\$\{steps\.([^.}]+)\.(objectId|jobId|input\.([A-Za-z0-9_]+))\}$/;

/**
 * A step's input with its references resolved as far as they can be now: an earlier step's input field by its value,
 * an object or job id by a token that passes validation and is shown as the reference again. Records each reference.
 */
function resolveForDryRun(
  stepId: string,
  value: unknown,
  inputs: ReadonlyMap<string, Record<string, unknown>>,
  references: DryRunReference[],
  at: string,
  tokens: Map<string, string> = new Map(),
): { value: Record<string, unknown>; tokens: Map<string, string> } {
  const walk = (item: unknown, where: string): unknown => {
    if (typeof item === 'string') {
      const match = REFERENCE.exec(item);
      if (!match) return item;
      const [, from, what, inputField] = match as unknown as [string, string, string, string | undefined];
      references.push({ step: stepId, field: where, reference: item, resolvedAt: inputField ? 'now' : 'run time' });
      if (inputField) return inputs.get(from)?.[inputField];
      // A well-formed NSE id (24 hex digits), unique per reference, so the step's schema accepts it.
      const token = (tokens.size + 1).toString(16).padStart(24, 'f');
      tokens.set(token, `\${steps.${from}.${what}}`);
      return token;
    }
    if (Array.isArray(item)) return item.map((entry, i) => walk(entry, `${where}[${i}]`));
    if (item && typeof item === 'object')
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, walk(entry, `${where}.${key}`)]));
    return item;
  };
  return { value: walk(value, at) as Record<string, unknown>, tokens };
}

/** Puts the shown text back in place of each token, in a path or deep in a body. */
function untokenize<T>(value: T, tokens: ReadonlyMap<string, string>): T {
  if (tokens.size === 0) return value;
  const swap = (text: string): string => {
    let out = text;
    for (const [token, shown] of tokens) out = out.replaceAll(token, shown);
    return out;
  };
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return swap(item);
    if (Array.isArray(item)) return item.map(walk);
    if (item && typeof item === 'object') return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, walk(v)]));
    return item;
  };
  return walk(value) as T;
}

/** A call as shown: path and body with tokens back as text, the body's secrets masked. */
function shownCall(
  spec: OperationSpec,
  fields: Record<string, unknown>,
  tokens: ReadonlyMap<string, string>,
): DryRunCall {
  const { method, path, body } = buildRequest(spec, fields);
  return {
    operation: spec.name,
    method,
    path: untokenize(path, tokens),
    ...(body === undefined ? {} : { body: redactSecrets(untokenize(body, tokens)) }),
  };
}

/** The request of `spec` with `fields`, the read before it (an update's) and its undo. */
function describeRequest(
  spec: OperationSpec,
  fields: Record<string, unknown>,
  tokens: ReadonlyMap<string, string> = new Map(),
): Omit<DryRunRequest, 'step' | 'item'> {
  // The object id NSE will give the job: a token like the plan's, shown as `${objectId}`.
  const objectToken = 'e'.repeat(24);
  const withObject = new Map([...tokens, [objectToken, OBJECT_ID]]);
  const forward = shownCall(spec, fields, tokens);
  const summary = untokenize(describeOperation(spec, fields), tokens);
  const undo = spec.undo;
  if (undo.kind === 'none') return { ...forward, summary, undo: { none: undo.reason } };
  const undoSpec = findOperation(undo.operation) as OperationSpec; // the catalogue's undos are its own operations
  if (undo.kind === 'delete') {
    return { ...forward, summary, undo: shownCall(undoSpec, undo.input(fields, objectToken), withObject) };
  }
  const valueToken = 'd'.repeat(24);
  const before = Object.fromEntries(Object.keys(fields).map((key) => [key, valueToken]));
  const readPath = fillPath(undo.readPath, fields).path;
  return {
    ...forward,
    summary,
    readBefore: { operation: spec.name, method: 'GET', path: untokenize(readPath, tokens) },
    undo: shownCall(undoSpec, undo.restoreInput(fields, before), new Map([...tokens, [valueToken, VALUE_BEFORE]])),
  };
}
