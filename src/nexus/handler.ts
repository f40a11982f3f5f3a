/**
 * The worker's handler of the Nexus service `nse-flow` (src/shared/nexus-service.ts): each operation starts the
 * workflow run that backs it, with the same summary, details and search attributes as the client library sets.
 * The Nexus request id names the run, so a retried start request finds the run it already started. Each input
 * passes the gate first (src/shared/entries.ts `NEXUS_INPUTS`): a bad one is refused with a non-retryable
 * `BAD_REQUEST` whose cause is the `InvalidInput` failure, and no run starts.
 * @module
 */
import * as nexus from 'nexus-rpc';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import { operationStartMetadata, planStartMetadata } from '../client';
import { NEXUS_INPUTS } from '../shared/entries';
import { nseFlowNexusService } from '../shared/nexus-service';
import type { ProvisionPlan } from '../shared/plans';
import type { OperationInput, OperationResult, ProvisionResult } from '../shared/workflow-api';
import type { nseOperationWorkflow, provisionWorkflow } from '../workflows';

/** `input` when the gate admits it as the input of Nexus operation `operation`; else a `BAD_REQUEST`. */
function admitted<T>(operation: keyof typeof NEXUS_INPUTS, input: T): T {
  try {
    NEXUS_INPUTS[operation](input);
    return input;
  } catch (err) {
    throw new nexus.HandlerError('BAD_REQUEST', `${operation}: ${(err as Error).message}`, { cause: err });
  }
}

export const nseFlowNexusHandler = nexus.serviceHandler(nseFlowNexusService, {
  runOperation: new WorkflowRunOperationHandler<OperationInput, OperationResult>(async (context, raw) => {
    const input = admitted('runOperation', raw);
    return await startWorkflow<typeof nseOperationWorkflow>(context, 'nseOperationWorkflow', {
      workflowId: `nse-flow-op-nexus-${context.requestId}`,
      args: [input],
      ...operationStartMetadata(input),
    });
  }),
  runPlan: new WorkflowRunOperationHandler<ProvisionPlan, ProvisionResult>(async (context, raw) => {
    const plan = admitted('runPlan', raw);
    return await startWorkflow<typeof provisionWorkflow>(context, 'provisionWorkflow', {
      workflowId: `nse-flow-plan-nexus-${context.requestId}`,
      args: [plan],
      ...planStartMetadata(plan),
    });
  }),
});
