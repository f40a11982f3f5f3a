/**
 * Worker Deployment Versioning: which deployment version a worker runs (deployment `nse-flow` by default, build id
 * `<package version>+<first 12 hex of the workflow bundle's sha256>` by default), and the few calls that roll one
 * out: make a version current, read its drainage, read which version a run is on. docs/operations.md, "Versioned
 * deploys", has the operator's side. The per-workflow behaviours (pinned or auto-upgrade) live in
 * src/workflows/index.ts.
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionLike } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { WorkerDeploymentOptions } from '@temporalio/worker';

/** The deployment every nse-flow worker joins unless `NSE_FLOW_DEPLOYMENT` names another (or `none`). */
export const DEFAULT_DEPLOYMENT = 'nse-flow';

/** The package's version, from package.json next to src/ and lib/ alike. */
export function packageVersion(): string {
  const file = path.join(__dirname, '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * The default build id: the package version and the first 12 hex digits of the bundle's sha256, so any change to
 * workflow code (or to what it bundles) is a new build, and the same code is the same build on every machine.
 */
export function buildIdFor(bundleCode: string, version: string = packageVersion()): string {
  return `${version}+${createHash('sha256').update(bundleCode).digest('hex').slice(0, 12)}`;
}

/**
 * The worker options of a version: versioned, and PINNED for any workflow type that declares no behaviour of its own
 * (a run then ends on the code that started it, which is always safe); undefined runs the worker unversioned.
 */
export function deploymentOptions(version: WorkerDeploymentVersion | undefined): WorkerDeploymentOptions | undefined {
  return version && { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' };
}

/** `0.1.0+0123456789ab (deployment nse-flow)`: a version as `npm start`, `nse-flow status` and the errors name it. */
export function describeVersion(version: WorkerDeploymentVersion): string {
  return `${version.buildId} (deployment ${version.deploymentName})`;
}

type GrpcError = Error & { code?: number };
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;

/**
 * Makes `version` the deployment's current version: new runs, and auto-upgrade runs at their next task, go to its
 * workers. The server knows a version only once its workers polled, so a not-found or no-pollers answer is asked
 * again (every 250 ms) until `timeoutMs`; other failures are thrown at once.
 */
export async function setCurrentVersion(
  connection: Pick<ConnectionLike, 'workflowService'>,
  namespace: string,
  version: WorkerDeploymentVersion,
  options: { identity?: string; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: options.identity ?? 'nse-flow',
      });
      return;
    } catch (err) {
      const code = (err as GrpcError).code;
      const notYet = code === GRPC_NOT_FOUND || code === GRPC_FAILED_PRECONDITION;
      if (!notYet || Date.now() > deadline) {
        throw new Error(`could not make ${describeVersion(version)} current: ${(err as Error).message}`);
      }
      await sleep(250); // the worker's first poll registers the version; ask again shortly
    }
  }
}

/** A version's drainage: `draining` while pinned runs may still need it, `drained` once none can; else undefined. */
type Drainage = 'draining' | 'drained' | undefined;

const DRAINAGE: Partial<Record<temporal.api.enums.v1.VersionDrainageStatus, Drainage>> = {
  [temporal.api.enums.v1.VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINING]: 'draining',
  [temporal.api.enums.v1.VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINED]: 'drained',
};

/**
 * The drainage of a version that is no longer current or ramping, as the server last computed it (it refreshes it
 * every `matching.wv.VersionDrainageStatusRefreshInterval`, after a grace period for visibility); undefined while the
 * version still takes new runs.
 */
export async function versionDrainage(
  connection: Pick<ConnectionLike, 'workflowService'>,
  namespace: string,
  version: WorkerDeploymentVersion,
): Promise<Drainage> {
  const described = await connection.workflowService.describeWorkerDeploymentVersion({
    namespace,
    deploymentVersion: { deploymentName: version.deploymentName, buildId: version.buildId },
  });
  const status = described.workerDeploymentVersionInfo?.drainageInfo?.status;
  return status === undefined || status === null ? undefined : DRAINAGE[status];
}

/** Which version a run is on, and how it moves: from a describe's `versioningInfo`; undefined when unversioned. */
export interface RunBuild {
  deploymentName: string;
  buildId: string;
  /** `PINNED`: stays on this build to its end; `AUTO_UPGRADE`: moves to the current build at its next task. */
  behavior: 'PINNED' | 'AUTO_UPGRADE' | undefined;
}

type VersioningBehavior = temporal.api.enums.v1.VersioningBehavior;
const BEHAVIORS: Partial<Record<VersioningBehavior, RunBuild['behavior']>> = {
  [temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED]: 'PINNED',
  [temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE]: 'AUTO_UPGRADE',
};

/**
 * The build of a run from its description's raw `workflowExecutionInfo`. An operator's override (`temporal workflow
 * update-options --versioning-override-*`) wins over what the worker declared, as it does for the server's routing:
 * its behaviour, and for a pinned override the version it names.
 */
export function runBuild(
  info: temporal.api.workflow.v1.IWorkflowExecutionInfo | null | undefined,
): RunBuild | undefined {
  const versioning = info?.versioningInfo;
  const override = versioning?.versioningOverride;
  const pinnedTo = override?.pinned?.version;
  const version = pinnedTo?.buildId ? pinnedTo : versioning?.deploymentVersion;
  if (!version?.buildId || !version.deploymentName) return undefined;
  const overridden = override?.pinned ? 'PINNED' : override?.autoUpgrade ? 'AUTO_UPGRADE' : undefined;
  const behavior =
    overridden ??
    (override?.behavior ? BEHAVIORS[override.behavior] : undefined) ??
    (versioning?.behavior ? BEHAVIORS[versioning.behavior] : undefined);
  return { deploymentName: version.deploymentName, buildId: version.buildId, behavior };
}
