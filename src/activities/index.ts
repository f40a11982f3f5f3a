export { createActivities } from './nse-activities';
export type {
  ControlActivities,
  GetJobInput,
  NseActivities,
  SubmitOperationInput,
  SubmitOutcome,
  WakePausedRunsInput,
} from './types';
export { createSweepActivities, type SweepActivities } from './sweep-activities';
