/**
 * The worker's handler of the Nexus service `nse-flow` (src/shared/nexus-service.ts): each operation starts the
 * workflow run that backs it, with the same summary, details and search attributes as the client library sets.
 * The Nexus request id names the run, so a retried start request finds the run it already started.
 * @module
 */
import * as nexus from 'nexus-rpc';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import { operationStartMetadata, planStartMetadata } from '../client';
import { nseFlowNexusService } from '../shared/nexus-service';
import type { ProvisionPlan } from '../shared/plans';
import type { OperationInput, OperationResult, ProvisionResult } from '../shared/workflow-api';
import type { nseOperationWorkflow, provisionWorkflow } from '../workflows';

export const nseFlowNexusHandler = nexus.serviceHandler(nseFlowNexusService, {
  runOperation: new WorkflowRunOperationHandler<OperationInput, OperationResult>(
    async (context, input) =>
      await startWorkflow<typeof nseOperationWorkflow>(context, 'nseOperationWorkflow', {
        workflowId: `nse-flow-op-nexus-${context.requestId}`,
        args: [input],
        ...operationStartMetadata(input),
      }),
  ),
  runPlan: new WorkflowRunOperationHandler<ProvisionPlan, ProvisionResult>(
    async (context, plan) =>
      await startWorkflow<typeof provisionWorkflow>(context, 'provisionWorkflow', {
        workflowId: `nse-flow-plan-nexus-${context.requestId}`,
        args: [plan],
        ...planStartMetadata(plan),
      }),
  ),
});
