export { createActivities } from './nse-activities';
export type {
  AwaitJobChangeInput,
  JobChange,
  ControlActivities,
  GetJobInput,
  NseActivities,
  SubmitOperationInput,
  SubmitOutcome,
  WakePausedRunsInput,
} from './types';
export { createSweepActivities, type SweepActivities } from './sweep-activities';
