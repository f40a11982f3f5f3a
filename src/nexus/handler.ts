/**
 * The worker's handler of the Nexus service `nse-flow` (src/shared/nexus-service.ts): each operation starts the
 * workflow run that backs it, with the same summary, details and search attributes as the client library sets.
 * The Nexus request id names the run, so a retried start request finds the run it already started. Each input
 * passes the gate first (src/shared/entries.ts `NEXUS_INPUTS`): a bad one is refused with a non-retryable
 * `BAD_REQUEST` whose cause is the `InvalidInput` failure, and no run starts. A cancel names its run by the operation
 * token, which a caller can write (unsigned JSON): it is refused unless it names a run that operation starts.
 * @module
 */
import * as nexus from 'nexus-rpc';
import { startWorkflow, WorkflowRunOperationHandler, type WorkflowRunOperationStartHandler } from '@temporalio/nexus';
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

/** The workflow ids each operation starts (the Nexus request id follows): the only ones its cancel may name. */
export const NEXUS_RUN_ID_PREFIX = { runOperation: 'nse-flow-op-nexus-', runPlan: 'nse-flow-plan-nexus-' } as const;

/**
 * A workflow-run operation whose cancel cancels only a run of that operation. The SDK's cancel takes the workflow id
 * from the operation token, unsigned base64url JSON that any caller of the endpoint can write: without this check
 * such a caller could cancel any workflow of the namespace (another tenant's run, the control workflow).
 */
export class OwnRunOperationHandler<I, O> extends WorkflowRunOperationHandler<I, O> {
  constructor(
    private readonly operation: keyof typeof NEXUS_RUN_ID_PREFIX,
    start: WorkflowRunOperationStartHandler<I, O>,
  ) {
    super(start);
  }

  override async cancel(context: nexus.CancelOperationContext, token: string): Promise<void> {
    const workflowId = tokenWorkflowId(token);
    if (workflowId === undefined || !workflowId.startsWith(NEXUS_RUN_ID_PREFIX[this.operation]))
      throw new nexus.HandlerError('BAD_REQUEST', `${this.operation}: the operation token names no run it started`);
    await super.cancel(context, token);
  }
}

/** The workflow id (`wid`) of an operation token, or undefined when it is not one. */
function tokenWorkflowId(token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length > 4096) return undefined;
  try {
    const wid = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { wid?: unknown } | null)?.wid;
    return typeof wid === 'string' ? wid : undefined;
  } catch {
    return undefined;
  }
}

export const nseFlowNexusHandler = nexus.serviceHandler(nseFlowNexusService, {
  runOperation: new OwnRunOperationHandler<OperationInput, OperationResult>('runOperation', async (context, raw) => {
    const input = admitted('runOperation', raw);
    return await startWorkflow<typeof nseOperationWorkflow>(context, 'nseOperationWorkflow', {
      workflowId: `${NEXUS_RUN_ID_PREFIX.runOperation}${context.requestId}`,
      args: [input],
      ...operationStartMetadata(input),
    });
  }),
  runPlan: new OwnRunOperationHandler<ProvisionPlan, ProvisionResult>('runPlan', async (context, raw) => {
    const plan = admitted('runPlan', raw);
    return await startWorkflow<typeof provisionWorkflow>(context, 'provisionWorkflow', {
      workflowId: `${NEXUS_RUN_ID_PREFIX.runPlan}${context.requestId}`,
      args: [plan],
      ...planStartMetadata(plan),
    });
  }),
});
