/** The worker's `workflowsPath` target: workflow functions only. */
export { nseOperationWorkflow } from './await-job';
export { provisionWorkflow } from './provision';
