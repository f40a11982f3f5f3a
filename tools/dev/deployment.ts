/**
 * How the development stacks (`npm start`, `npm run cluster`, the chaos stack) roll out the build they run: the
 * version their workers join, as the worker reads it (NSE_FLOW_DEPLOYMENT, NSE_FLOW_BUILD_ID, else the bundle's
 * content; src/deployment.ts), made current once the workers poll. An operator does the same with the `temporal`
 * CLI (docs/operations.md, "Versioned deploys").
 * @module
 */
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { buildIdFor, DEFAULT_DEPLOYMENT, setCurrentVersion } from '../../src/deployment';

/** The version workers with `env` and the bundle `bundleFile` join; undefined with NSE_FLOW_DEPLOYMENT=none. */
export function stackVersion(env: NodeJS.ProcessEnv, bundleFile: string): WorkerDeploymentVersion | undefined {
  const deploymentName = env.NSE_FLOW_DEPLOYMENT?.trim() || DEFAULT_DEPLOYMENT;
  if (deploymentName === 'none') return undefined;
  return { deploymentName, buildId: env.NSE_FLOW_BUILD_ID?.trim() || buildIdFor(readFileSync(bundleFile, 'utf8')) };
}

/** Makes `version` current on the server at `address` (asking again until its workers have polled). */
export async function makeCurrent(address: string, namespace: string, version: WorkerDeploymentVersion): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await setCurrentVersion(connection, namespace, version, { identity: 'nse-flow stack' });
  } finally {
    await connection.close();
  }
}
