/**
 * The benchmark's `workflowsPath` target: the real workflows of src/workflows plus the baseline workflow, bundled
 * together once so both run on the same worker and task queue.
 * @module
 */
export * from '../src/workflows';
export * from './baseline-workflows';
