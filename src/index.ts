/** The nse-flow library surface for other services: the client, the workflow I/O types and the failure types. */
export { connect, NseFlowClient, RunFailedError, TemporalUnavailableError, workflowIdFor } from './client';
export type { ConnectOptions, RunSummary, StartOptions } from './client';
export { FailureType } from './shared/failures';
export { OPERATION_NAMES } from './shared/operations';
export type { PlanStep, ProvisionPlan } from './shared/plans';
export type {
  CompensationReport,
  OperationInput,
  OperationResult,
  OperationStatus,
  PollPolicy,
  ProvisionResult,
  ProvisionStatus,
  StepReport,
} from './shared/workflow-api';
