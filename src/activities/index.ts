export { createActivities } from './nse-activities';
export type { NseActivities, SubmitOperationInput, SubmitOutcome, GetJobInput } from './types';
