/**
 * Every entry a workflow has, with the schema its value passes through the gate (./entry-gate): the input of each
 * workflow type, each update's and signal's argument, each Nexus operation's input. Workflows register handlers only
 * through src/workflows/entries.ts, which looks the schema up here by the definition's name (a lint rule forbids
 * `setHandler` elsewhere), and test/unit/entry-gate.test.ts checks that every definition and workflow has an entry.
 * Pure and workflow-safe: schemas are built when a value is checked, never at load.
 * @module
 */
import * as z from 'zod/mini';
import { bulkLimitsSchema, parseBulk } from './bulk';
import { admit, refuseUnreadable } from './entry-gate';
import { invalidInput } from './failures';
import { NOTHING_PAUSED, type PausedScopes } from './pause';
import { parsePlan } from './plans';
import { DEFAULT_SWEEP_HOLD_MS, DEFAULT_SWEEP_WINDOW_MS, MAX_SWEEP_HOLD_MS, MAX_SWEEP_WINDOW_MS } from './sweep';
import type { ValidSweepInput } from './sweep';
import { parseOperationInput, pollPolicySchema } from './validation';

/** Longest a run may wait for its job in all, as `poll.timeoutMs` allows. */
export const MAX_WAIT_MS = 365 * 86_400_000;

/** The argument of an update or signal: its schema, and how messages name it. */
interface ArgumentEntry {
  /** Prefix of the field paths in messages, e.g. `setPollPolicy: poll`. */
  where: string;
  /** Built on each check; absent when the update or signal takes no argument. */
  schema?: () => z.ZodMiniType;
}

const pauseScope = (): z.ZodMiniType =>
  z.strictObject({ tenantId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))) });

/** The argument each update takes, by update name. */
export const UPDATE_ARGUMENTS: Readonly<Record<string, ArgumentEntry>> = {
  accepted: { where: 'accepted' },
  decide: { where: 'decision', schema: () => z.enum(['compensate', 'keep']) },
  setPollPolicy: { where: 'setPollPolicy: poll', schema: pollPolicySchema },
  extendDeadline: {
    where: 'extendDeadline',
    schema: () => z.strictObject({ byMs: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_WAIT_MS)) }),
  },
  setBulkLimits: { where: 'setBulkLimits', schema: bulkLimitsSchema },
  pause: { where: 'pause', schema: pauseScope },
  resume: { where: 'resume', schema: pauseScope },
  sweepFindings: { where: 'sweepFindings' },
  undoSweptObject: {
    where: 'undoSweptObject: objectId',
    schema: () => z.string().check(z.minLength(1), z.maxLength(256)),
  },
};

/** The argument each signal takes, by signal name. */
export const SIGNAL_ARGUMENTS: Readonly<Record<string, ArgumentEntry>> = {
  stepAccepted: {
    where: 'stepAccepted',
    schema: () =>
      z.strictObject({
        workflowId: z.string().check(z.minLength(1), z.maxLength(1000)),
        nseJobId: z.string().check(z.minLength(1), z.maxLength(256)),
      }),
  },
  resume: { where: 'resume' },
};

/**
 * The argument of update or signal `name` (`kind` says which table), through the gate: exactly the one argument its
 * schema describes (or none), else `InvalidInput`. An update or signal without an entry is refused.
 */
export function admitArgument(kind: 'update' | 'signal', name: string, args: readonly unknown[]): unknown {
  const table = kind === 'update' ? UPDATE_ARGUMENTS : SIGNAL_ARGUMENTS;
  const entry = Object.hasOwn(table, name) ? table[name] : undefined;
  if (entry === undefined) throw invalidInput(`${name}: no such ${kind}`);
  // Before the count: an argument the worker could not read says so, whatever the entry takes.
  for (const arg of args) refuseUnreadable(arg, entry.where);
  const expected = entry.schema ? 1 : 0;
  if (args.length > expected)
    throw invalidInput(`${entry.where}: takes ${expected === 0 ? 'no argument' : 'one argument'}, not ${args.length}`);
  return entry.schema ? admit(entry.schema(), args[0], { where: entry.where }) : undefined;
}

/** The control workflow's input (and continue-as-new state): the scopes paused, as {@link pausedScopesSchema}. */
export function parsePausedScopes(raw: unknown): PausedScopes {
  if (raw === undefined) return NOTHING_PAUSED;
  return admit(pausedScopesSchema(), raw, { where: 'scopes' });
}

/** What the control workflow keeps: fairness keys (at most 64 characters, see `nseFairnessKey`). */
const pausedScopesSchema = () =>
  z.strictObject({
    all: z.boolean(),
    tenants: z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(10_000)),
  });

/** What the sweep is asked: its tenants (default: every tenant of the worker's NSE user), window and undo hold. */
const sweepInputSchema = () =>
  z.strictObject({
    tenantIds: z.optional(
      z
        .array(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be an NSE id')))
        .check(z.minLength(1), z.maxLength(100)),
    ),
    windowMs: z.optional(z.number().check(z.int(), z.minimum(1000), z.maximum(MAX_SWEEP_WINDOW_MS))),
    holdMs: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(MAX_SWEEP_HOLD_MS))),
  });

/** The sweep workflow's input, as {@link sweepInputSchema}, defaults applied and repeated tenants dropped. */
export function parseSweepInput(raw: unknown): ValidSweepInput {
  const input = admit(sweepInputSchema(), raw === undefined ? {} : raw, { where: '(input)' });
  return {
    tenantIds: input.tenantIds ? [...new Set(input.tenantIds)] : undefined,
    windowMs: input.windowMs ?? DEFAULT_SWEEP_WINDOW_MS,
    holdMs: input.holdMs ?? DEFAULT_SWEEP_HOLD_MS,
  };
}

/** The input of each workflow type, by type name: the function that admits it (each workflow calls it first). */
export const WORKFLOW_INPUTS = {
  nseOperationWorkflow: parseOperationInput,
  provisionWorkflow: parsePlan,
  bulkWorkflow: parseBulk,
  nseFlowControlWorkflow: parsePausedScopes,
  nseSweepWorkflow: parseSweepInput,
} as const;

/** The input of each Nexus operation, by operation name: admitted by the handler before it starts a run. */
export const NEXUS_INPUTS = {
  runOperation: parseOperationInput,
  runPlan: parsePlan,
} as const;
