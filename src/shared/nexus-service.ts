/**
 * The Nexus service `nse-flow`: what a workflow in another namespace (or any Nexus caller) can run through a Nexus
 * endpoint that targets the nse-flow task queue. Both operations are backed by a workflow run: the operation's
 * result, failure and cancellation are the run's. Pure definition, safe in caller workflows.
 * @module
 */
import * as nexus from 'nexus-rpc';
import type { ProvisionPlan } from './plans';
import type { OperationInput, OperationResult, ProvisionResult } from './workflow-api';

/** Name of the Nexus endpoint `npm start` creates for the service. */
export const NEXUS_ENDPOINT = 'nse-flow';

export const nseFlowNexusService = nexus.service('nse-flow', {
  /** Runs one NSE operation (`nseOperationWorkflow`). */
  runOperation: nexus.operation<OperationInput, OperationResult>(),
  /** Runs a provisioning plan (`provisionWorkflow`). */
  runPlan: nexus.operation<ProvisionPlan, ProvisionResult>(),
});
