/**
 * zod schemas of what nse-flow answers a caller: results, status answers and failure details. The TypeScript types in
 * src/shared stay the source; the checks at the end of this module fail the type check when a schema here and its
 * type drift apart, so the published JSON Schema (./json-schema.ts) follows every change of the types.
 * @module
 */
import * as z from 'zod/mini';
import { itemOutcomeSchema, type BulkResult, type BulkStatus, type ItemOutcome } from '../shared/bulk';
import { FailureType } from '../shared/failures';
import { JobState, type Job } from '../shared/nse-types';
import {
  Phase,
  type CompensationReport,
  type OperationResult,
  type OperationStatus,
  type ProvisionResult,
  type ProvisionStatus,
  type StepReport,
  type UndoStep,
} from '../shared/workflow-api';

const text = () => z.string();
const opt = z.optional;
const jobState = () => z.enum(JobState);

const jobTaskSchema = z.strictObject({
  id: text(),
  action: text(),
  objectId: text(),
  objectType: text(),
  resourceType: text(),
  state: jobState(),
  status: text(),
  statusDetail: text(),
  lastError: text(),
});

/** An NSE job as nse-flow reports it: normalised, secrets removed; `raw` is NSE's own record. */
const jobSchema = z.strictObject({
  id: text(),
  action: text(),
  summary: text(),
  objectId: text(),
  objectType: text(),
  objectName: text(),
  state: jobState(),
  stateKnown: z.boolean(),
  status: text(),
  statusDetail: text(),
  lastError: text(),
  userId: text(),
  created: text(),
  updated: text(),
  tasks: z.array(jobTaskSchema),
  raw: z.record(z.string(), z.unknown()),
});

const compensationOutcome = () => z.enum(['compensated', 'not-needed', 'manual-cleanup-needed', 'failed', 'kept']);

const undoOutcomeSchema = z.strictObject({
  outcome: compensationOutcome(),
  objectId: opt(text()),
  objectType: opt(text()),
  operation: opt(text()),
  jobId: opt(text()),
  message: text(),
});

const compensationReportSchema = z.strictObject({
  outcome: compensationOutcome(),
  operation: opt(text()),
  jobId: opt(text()),
  objectId: opt(text()),
  objectType: opt(text()),
  message: text(),
  steps: opt(z.array(undoOutcomeSchema)),
});

const undoStepSchema = z.union([
  z.strictObject({
    kind: z.literal('run'),
    operation: text(),
    input: z.record(z.string(), z.unknown()),
    objectId: opt(text()),
    objectType: opt(text()),
  }),
  z.strictObject({ kind: z.literal('report'), report: compensationReportSchema }),
]);

export const operationResultSchema = z.strictObject({
  operation: text(),
  job: opt(jobSchema),
  objectId: opt(text()),
  polls: z.number(),
  adopted: z.boolean(),
  undo: opt(undoStepSchema),
  undoSteps: opt(z.array(undoStepSchema)),
});

export const operationStatusSchema = z.strictObject({
  operation: text(),
  summary: text(),
  phase: z.enum(Phase),
  jobId: opt(text()),
  jobState: opt(jobState()),
  objectId: opt(text()),
  polls: z.number(),
  warnings: z.number(),
  nextPollAt: opt(text()),
  compensation: opt(compensationReportSchema),
  readErrors: opt(z.number()),
  lastReadError: opt(text()),
  unknownStateWords: opt(z.array(text())),
  decisionDueAt: opt(text()),
  cancelRequested: opt(z.boolean()),
});

const stepReportSchema = z.strictObject({
  id: text(),
  operation: text(),
  outcome: z.enum(['pending', 'running', 'done', 'failed', 'cancelled', 'compensated', 'manual-cleanup-needed']),
  workflowId: opt(text()),
  objectId: opt(text()),
  jobId: opt(text()),
  message: opt(text()),
});

export const provisionResultSchema = z.strictObject({ plan: text(), steps: z.array(stepReportSchema) });

export const provisionStatusSchema = z.strictObject({
  plan: text(),
  phase: z.enum(Phase),
  steps: z.array(stepReportSchema),
});

export const bulkResultSchema = z.strictObject({
  bulk: text(),
  total: z.number(),
  done: z.number(),
  failed: z.number(),
  items: z.array(itemOutcomeSchema()),
});

export const bulkStatusSchema = z.strictObject({
  bulk: text(),
  phase: text(),
  total: z.number(),
  done: z.number(),
  failed: z.number(),
  running: z.number(),
  pending: z.number(),
  maxConcurrency: z.number(),
  toleratedFailurePercent: z.number(),
  failures: z.array(itemOutcomeSchema()),
});

/**
 * The first (only) detail of each failure type that carries one. `InvalidInput`, `NseRejected`, `NseNotFound`,
 * `NseUnauthorized`, `NseUnavailable`, `NseProtocolError` and `PollDeadlineExceeded` carry none: their message says it.
 */
export const failureDetailSchemas = {
  [FailureType.NseJobFailed]: z.strictObject({ job: jobSchema, compensation: opt(compensationReportSchema) }),
  [FailureType.CompensationFailed]: z.union([
    z.strictObject({ job: jobSchema, compensation: opt(compensationReportSchema) }),
    z.strictObject({ jobId: text() }),
  ]),
  [FailureType.JobVanished]: z.strictObject({ jobId: text(), objectId: text(), lastState: jobState() }),
  [FailureType.ProvisioningFailed]: z.strictObject({ plan: text(), steps: z.array(stepReportSchema) }),
  [FailureType.CancelCleanUpIncomplete]: z.union([
    z.strictObject({ jobId: text(), job: opt(jobSchema), compensation: compensationReportSchema }),
    z.strictObject({ plan: text(), steps: z.array(stepReportSchema) }),
  ]),
  [FailureType.BulkFailed]: bulkResultSchema,
  [FailureType.BulkCancelled]: bulkResultSchema,
} as const;

// Each schema must describe exactly its TypeScript type: these lines stop the type check when one of them drifts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Output<S extends z.ZodMiniType> = z.output<S>;
const typesMatch: [
  Same<Output<typeof jobSchema>, Job>,
  Same<Output<typeof compensationReportSchema>, CompensationReport>,
  Same<Output<typeof undoStepSchema>, UndoStep>,
  Same<Output<typeof operationResultSchema>, OperationResult>,
  Same<Output<typeof operationStatusSchema>, OperationStatus>,
  Same<Output<typeof stepReportSchema>, StepReport>,
  Same<Output<typeof provisionResultSchema>, ProvisionResult>,
  Same<Output<typeof provisionStatusSchema>, ProvisionStatus>,
  Same<Output<ReturnType<typeof itemOutcomeSchema>>, ItemOutcome>,
  Same<Output<typeof bulkResultSchema>, BulkResult>,
  Same<Output<typeof bulkStatusSchema>, BulkStatus>,
] = [true, true, true, true, true, true, true, true, true, true, true];
void typesMatch;
