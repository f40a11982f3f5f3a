/**
 * Workflows of another namespace that use nse-flow through its Nexus service, for test/integration/nexus.test.ts.
 * @module
 */
import { createNexusServiceClient, defineQuery, setHandler } from '@temporalio/workflow';
import { nseFlowNexusService } from '../../src/shared/nexus-service';
import type { ProvisionPlan } from '../../src/shared/plans';
import type { OperationInput, OperationResult, ProvisionResult } from '../../src/shared/workflow-api';

/** True once the Nexus operation has started its backing run. */
export const operationStartedQuery = defineQuery<boolean>('operationStarted');

const TIMEOUT = { scheduleToCloseTimeout: '5 minutes' } as const;

export async function runOperationThroughNexus(endpoint: string, input: OperationInput): Promise<OperationResult> {
  const nseFlow = createNexusServiceClient({ service: nseFlowNexusService, endpoint });
  return await nseFlow.executeOperation('runOperation', input, TIMEOUT);
}

export async function runPlanThroughNexus(endpoint: string, plan: ProvisionPlan): Promise<ProvisionResult> {
  const nseFlow = createNexusServiceClient({ service: nseFlowNexusService, endpoint });
  return await nseFlow.executeOperation('runPlan', plan, TIMEOUT);
}

/** Starts an operation and waits for it; cancelling this workflow cancels the operation and waits for its end. */
export async function cancellableOperationThroughNexus(
  endpoint: string,
  input: OperationInput,
): Promise<OperationResult> {
  let started = false;
  setHandler(operationStartedQuery, () => started);
  const nseFlow = createNexusServiceClient({ service: nseFlowNexusService, endpoint });
  const operation = await nseFlow.startOperation('runOperation', input, {
    ...TIMEOUT,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
  started = true;
  return await operation.result();
}
