/**
 * The two workers of one nse-flow process, run and stopped together. The main worker runs the workflows (and, for
 * runs started before the NSE task queue existed, their NSE activities on the workflow queue); the NSE worker runs
 * only the NSE activities, on the NSE task queue, where the server dispatches at most the request budget per second.
 * @module
 */
import { Worker, type State, type WorkerOptions } from '@temporalio/worker';
import { nseTaskQueue } from './shared/workflow-api';

/** The main worker and the NSE worker, run, drained and stopped as one. */
export class WorkerPair {
  constructor(
    readonly main: Worker,
    readonly nse: Worker,
  ) {}

  /** RUNNING only while both run; FAILED when either failed; otherwise the state of the one not running. */
  getState(): State {
    const states = [this.main.getState(), this.nse.getState()];
    if (states.includes('FAILED')) return 'FAILED';
    return states.find((state) => state !== 'RUNNING') ?? 'RUNNING';
  }

  /** Runs both until both stop; when one stops or fails, the other is shut down too, and a failure is rethrown. */
  async run(): Promise<void> {
    const stopBoth = (): void => this.shutdown();
    const results = await Promise.allSettled([this.main.run().finally(stopBoth), this.nse.run().finally(stopBoth)]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Like {@link Worker.runUntil}: runs both until `fnOrPromise` settles, then stops them and returns its outcome. */
  async runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    return await this.nse.runUntil(this.main.runUntil(fnOrPromise));
  }

  /** Starts draining both (in-flight activities get the shutdown grace time). */
  shutdown(): void {
    for (const worker of [this.main, this.nse]) if (worker.getState() === 'RUNNING') worker.shutdown();
  }
}

/** What the NSE worker takes on top of the main worker's connection, namespace, data converter and grace time. */
export interface NseWorkerOptions {
  /** The NSE activities; the main worker registers them too. */
  activities: object;
  /** The most NSE activities started in any one second on the NSE queue, across all its workers; undefined: none. */
  requestBudget: number | undefined;
}

/**
 * The rate the server is asked for so that no second starts more than `budget` NSE activities. Server 1.29.1's task
 * queue limiter (service/matching/ratelimit_manager.go, `defaultBurstDuration`, not configurable) lets one second of
 * unused rate through at once, so a rate r starts up to 2r in a second after a lull: r = budget / 2.
 */
function serverDispatchRate(budget: number): number {
  return budget / 2;
}

/**
 * Creates the main worker with `options` and the NSE worker on `nseTaskQueue(options.taskQueue)`, which polls only
 * for activities: at most `requestBudget` start in any second (`maxTaskQueueActivitiesPerSecond` of
 * {@link serverDispatchRate}, enforced by the server).
 */
export async function createWorkerPair(options: WorkerOptions, nse: NseWorkerOptions): Promise<WorkerPair> {
  const main = await Worker.create(options);
  const nseWorker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: nseTaskQueue(options.taskQueue),
    activities: nse.activities,
    // The activity interceptors (traces) apply on both queues.
    ...(options.interceptors?.activity ? { interceptors: { activity: options.interceptors.activity } } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.shutdownGraceTime === undefined ? {} : { shutdownGraceTime: options.shutdownGraceTime }),
    // The same deployment version as the main worker: a pinned run's NSE activities stay on its build.
    ...(options.workerDeploymentOptions ? { workerDeploymentOptions: options.workerDeploymentOptions } : {}),
    ...(nse.requestBudget === undefined
      ? {}
      : { maxTaskQueueActivitiesPerSecond: serverDispatchRate(nse.requestBudget) }),
  });
  return new WorkerPair(main, nseWorker);
}
