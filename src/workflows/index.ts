/**
 * The worker's `workflowsPath` target: workflow functions only, each with its versioning behaviour (Worker Deployment
 * Versioning, src/deployment.ts; docs/operations.md, "Versioned deploys"):
 * - operation and plan runs are PINNED: they end within their deadline, so each finishes on the build that started
 *   it (continue-as-new keeps the build) and a new build needs no `patched()` for them; the old build drains.
 * - bulk and control runs AUTO_UPGRADE: a bulk may run for days and the control run never ends, so pinned they would
 *   keep an old build's workers alive forever. They move to the current build at their next workflow task; a change to
 *   the commands they issue therefore needs `patched()` (with a ledger entry) until every run has continued as new
 *   past it, which both do regularly, keeping their histories short.
 * - sweep runs are PINNED: a sweep reads, then takes undos until its hold ends (at the latest when the Schedule's next
 *   sweep starts), so it is short and finishes on the build that started it.
 * The worker's default for a type not named here is PINNED (src/deployment.ts). An unversioned worker (the tests',
 * `NSE_FLOW_DEPLOYMENT=none`) declares none: the server refuses a behaviour from a worker without a version.
 */
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { bulkWorkflow } from './bulk';
import { nseFlowControlWorkflow } from './control';
import { nseOperationWorkflow } from './operation';
import { provisionWorkflow } from './provision';
import { nseSweepWorkflow } from './sweep';

/** `versioningBehavior` when the worker running the run's first task joined a deployment (unversioned: no name). */
function whenVersioned(
  versioningBehavior: 'PINNED' | 'AUTO_UPGRADE',
): () => { versioningBehavior?: typeof versioningBehavior } {
  return () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {});
}

setWorkflowOptions(whenVersioned('PINNED'), nseOperationWorkflow);
setWorkflowOptions(whenVersioned('PINNED'), provisionWorkflow);
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), bulkWorkflow);
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), nseFlowControlWorkflow);
setWorkflowOptions(whenVersioned('PINNED'), nseSweepWorkflow); // short: its reads, then its undo hold

export { nseOperationWorkflow, provisionWorkflow, bulkWorkflow, nseFlowControlWorkflow, nseSweepWorkflow };
