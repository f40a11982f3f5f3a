/**
 * Provisioning plans: an ordered list of named steps, each a catalogue operation, where a later step may refer to
 * an earlier step's output. A plan is validated whole, before the first NSE call. Pure and workflow-safe.
 *
 * Reference syntax: a string value that is exactly `${steps.<id>.objectId}`, `${steps.<id>.jobId}` or
 * `${steps.<id>.input.<field>}` is replaced by that value of the earlier step `<id>`, keeping its type.
 * @module
 */
import * as z from 'zod/mini';
import { invalidInput } from './failures';
import { findOperation } from './operations';
import { admit } from './entry-gate';
import { parseOperationFields, pollPolicySchema } from './validation';
import type { Decision, OnFailure, PollPolicy } from './workflow-api';

/** Largest accepted plan, as JSON: at most 50 steps, each a small NSE body. */
export const MAX_PLAN_BYTES = 256 * 1024;

const STEP_ID = /^[a-z][a-z0-9-]{0,39}$/;
const REFERENCE = /^\$\{steps\.([^.}]+)\.(objectId|jobId|input\.([A-Za-z0-9_]+))\}$/;
const LOOKS_LIKE_REFERENCE = /\$\{/;
// Stands in for an object id that does not exist yet while a plan is validated: a well-formed NSE id.
const PLACEHOLDER_ID = '000000000000000000000000';

/** One step of a plan. */
export interface PlanStep {
  id: string;
  operation: string;
  input: Record<string, unknown>;
}

/** Input of {@link provisionWorkflow}. */
export interface ProvisionPlan {
  /** A short name shown in the Web UI, e.g. `block-storage`. */
  name: string;
  tenantId?: string;
  steps: PlanStep[];
  /** Poll policy for every step. */
  poll?: Partial<PollPolicy>;
  /** What a step whose job fails gets (see `OperationInput.onFailure`); passed to every step. */
  onFailure?: OnFailure;
  holdTimeoutMs?: number;
  holdDefault?: Decision;
  /** Set by redrive: steps the failed run left done, by id, reused instead of run again (and never undone here). */
  reused?: Record<string, { objectId?: string; jobId?: string }>;
  /** Set by redrive: the failed plan this run reruns. */
  redriveOf?: { workflowId: string; runId: string };
}

/** What a step's output offers to later steps. */
export interface StepOutput {
  objectId?: string;
  jobId?: string;
  input: Record<string, unknown>;
}

/**
 * A plan's shape (step inputs are checked apart, by operation). Built when a plan is checked, never at load: every
 * workflow run loads this module.
 */
export const planSchema = () =>
  z.strictObject({
    name: z
      .string()
      .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'must be 1-64 letters, digits, spaces, _ . -')),
    tenantId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    steps: z
      .array(
        z.strictObject({
          id: z
            .string()
            .check(z.regex(STEP_ID, 'must be lowercase letters, digits and dashes, starting with a letter')),
          operation: z.string().check(z.minLength(1), z.maxLength(64)),
          input: z.record(z.string(), z.unknown()),
        }),
      )
      .check(z.minLength(1), z.maxLength(50)),
    poll: z.optional(pollPolicySchema()),
    onFailure: z.optional(z.enum(['compensate', 'hold'])),
    holdTimeoutMs: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(365 * 86_400_000))),
    holdDefault: z.optional(z.enum(['compensate', 'keep'])),
    reused: z.optional(
      z.record(
        z.string().check(z.regex(STEP_ID)),
        z.strictObject({
          objectId: z.optional(z.string().check(z.maxLength(64))),
          jobId: z.optional(z.string().check(z.maxLength(64))),
        }),
      ),
    ),
    redriveOf: z.optional(z.strictObject({ workflowId: z.string().check(z.maxLength(1000)), runId: z.string() })),
  });

/** A parsed reference: which step and which of its outputs. */
interface Reference {
  stepId: string;
  field: 'objectId' | 'jobId' | 'input';
  inputField?: string;
}

function parseReference(value: string): Reference | undefined {
  const match = REFERENCE.exec(value);
  if (!match) return undefined;
  const [, stepId, what, inputField] = match as unknown as [string, string, string, string | undefined];
  if (what === 'objectId' || what === 'jobId') return { stepId, field: what };
  return { stepId, field: 'input', inputField };
}

/** Replaces every reference in `value` (deeply) using `lookup`; other strings are kept as they are. */
function substitute(value: unknown, lookup: (ref: Reference, raw: string) => unknown): unknown {
  if (typeof value === 'string') {
    const ref = parseReference(value);
    return ref ? lookup(ref, value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, lookup));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, lookup)]));
  }
  return value;
}

/** Every string in `value` that contains `${` but is not a whole, valid reference. */
function malformedReferences(value: unknown): string[] {
  if (typeof value === 'string') return LOOKS_LIKE_REFERENCE.test(value) && !parseReference(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(malformedReferences);
  if (value && typeof value === 'object') return Object.values(value).flatMap(malformedReferences);
  return [];
}

/** Resolves the references of one step against the outputs of the steps before it. */
export function resolveStepInput(step: PlanStep, outputs: ReadonlyMap<string, StepOutput>): Record<string, unknown> {
  return substitute(step.input, (ref, raw) => {
    const output = outputs.get(ref.stepId);
    if (!output) throw invalidInput(`steps.${step.id}: ${raw} refers to a step that has not run`);
    const value = ref.field === 'input' ? output.input[ref.inputField as string] : output[ref.field];
    if (value === undefined)
      throw invalidInput(`steps.${step.id}: ${raw} has no value (step '${ref.stepId}' produced none)`);
    return value;
  }) as Record<string, unknown>;
}

/**
 * Validates a plan whole: shape, unique step ids, known operations, references only to earlier steps (a reference
 * to itself or a later step would be a cycle), and each step's input against its operation's schema, with
 * not-yet-known object ids standing in as placeholders. Throws a non-retryable `InvalidInput` failure.
 */
export function parsePlan(raw: unknown): ProvisionPlan {
  // The gate bounds the plan's depth (so the recursive walks below cannot exhaust the stack) and its size.
  const plan = admit(planSchema(), raw, { where: 'plan', maxBytes: MAX_PLAN_BYTES }) as ProvisionPlan;
  const position = new Map<string, number>();
  plan.steps.forEach((step, index) => {
    if (position.has(step.id)) throw invalidInput(`steps.${step.id}: step id used twice`);
    position.set(step.id, index);
  });
  for (const id of Object.keys(plan.reused ?? {}))
    if (!position.has(id)) throw invalidInput(`reused.${id}: no such step`);
  const outputs = new Map<string, StepOutput>();
  plan.steps.forEach((step, index) => {
    if (!findOperation(step.operation))
      throw invalidInput(`steps.${step.id}.operation: unknown operation '${step.operation}'`);
    const malformed = malformedReferences(step.input);
    if (malformed.length > 0) {
      throw invalidInput(
        `steps.${step.id}: ${malformed[0]} is not a reference (use \${steps.<id>.objectId|jobId|input.<field>})`,
      );
    }
    const placeholders = substitute(step.input, (ref, rawRef) => {
      const at = position.get(ref.stepId);
      if (at === undefined) throw invalidInput(`steps.${step.id}: ${rawRef} refers to an unknown step`);
      if (at >= index)
        throw invalidInput(`steps.${step.id}: ${rawRef} refers to ${at === index ? 'itself' : 'a later step'} (cycle)`);
      const output = outputs.get(ref.stepId) as StepOutput;
      if (ref.field !== 'input') return PLACEHOLDER_ID;
      const value = output.input[ref.inputField as string];
      if (value === undefined)
        throw invalidInput(`steps.${step.id}: ${rawRef}: step '${ref.stepId}' has no input field '${ref.inputField}'`);
      return value;
    });
    const { fields } = parseOperationFields(step.operation, placeholders, `steps.${step.id}.input`);
    outputs.set(step.id, { objectId: PLACEHOLDER_ID, jobId: PLACEHOLDER_ID, input: fields });
  });
  return plan;
}
