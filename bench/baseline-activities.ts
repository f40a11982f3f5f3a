/**
 * The baseline workflow's activity: does nothing, so its cost is pure Temporal overhead.
 * @module
 */

/** Activities of {@link import('./baseline-workflows').baselineWorkflow}. */
export interface BaselineActivities {
  benchNoop(): Promise<void>;
}

/** The activity implementations registered next to the NSE activities. */
export const baselineActivities: BaselineActivities = {
  async benchNoop() {
    return undefined;
  },
};
