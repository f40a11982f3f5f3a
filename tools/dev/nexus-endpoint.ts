/**
 * Creates the Nexus endpoint that routes the `nse-flow` Nexus service to the worker's namespace and task queue, with
 * the Temporal CLI (`temporal operator nexus endpoint create`). Used by `npm start` and the Nexus test.
 * @module
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NexusEndpointTarget {
  cliPath: string;
  /** The Temporal frontend, `host:port`. */
  address: string;
  name: string;
  namespace: string;
  taskQueue: string;
}

/** Creates the endpoint; one that already exists under the name is left as it is. */
export async function ensureNexusEndpoint(target: NexusEndpointTarget): Promise<'created' | 'exists'> {
  const args = ['operator', 'nexus', 'endpoint', 'create', '--address', target.address, '--name', target.name];
  args.push('--target-namespace', target.namespace, '--target-task-queue', target.taskQueue);
  args.push('--description', 'nse-flow: NSE operations and provisioning plans (docs/contract.md)');
  try {
    await run(target.cliPath, args);
    return 'created';
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    if (stderr && /already exists|already registered/i.test(stderr)) return 'exists';
    throw new Error(`cannot create the Nexus endpoint '${target.name}': ${stderr?.trim() || (err as Error).message}`);
  }
}
