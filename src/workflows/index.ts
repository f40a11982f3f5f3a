/** The worker's `workflowsPath` target: workflow functions only. */
export { nseOperationWorkflow } from './operation';
export { provisionWorkflow } from './provision';
export { bulkWorkflow } from './bulk';
export { nseFlowControlWorkflow } from './control';
