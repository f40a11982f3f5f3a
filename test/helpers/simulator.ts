/**
 * Starts the NSE simulator on a free port of 127.0.0.1 for a test, and reads its ledger and sets its rules over
 * HTTP, exactly as an external tool would.
 */
import type { AddressInfo } from 'node:net';
import { buildSimulator } from '../../simulator/app';
import { SIM_FIXTURES, type SimUser } from '../../simulator/fixtures';
import type { Ledger, LedgerRequest } from '../../simulator/job-store';
import { pathMatches, type SimRule } from '../../simulator/rules';

export type { Ledger, LedgerRequest, SimRule };

/** A simulator listening on a real port, with test helpers that go through its `/_sim` endpoints. */
export interface RunningSimulator {
  /** Base URL of the API, e.g. `http://127.0.0.1:54321/api`. */
  url: string;
  username: string;
  password: string;
  /** The ledger, via `GET /_sim/ledger`. */
  ledger(): Promise<Ledger>;
  /** Recorded API requests, optionally only one method and a path pattern such as `/v2.1/jobs/:id`. */
  requests(method?: string, pathPattern?: string): Promise<LedgerRequest[]>;
  /** Replaces the rules, via `PUT /_sim/rules`; rejects when the simulator refuses them. */
  setRules(rules: SimRule[]): Promise<void>;
  /** Stops the simulator; pending long polls answer first. */
  close(): Promise<void>;
}

/** Starts a fresh simulator on 127.0.0.1, port 0, with the default users or `users` (the first one's credentials are used). */
export async function startSimulator(
  options: { rules?: SimRule[]; tokenTtlSeconds?: number; users?: SimUser[] } = {},
): Promise<RunningSimulator> {
  const app = buildSimulator({ rules: options.rules, tokenTtlSeconds: options.tokenTtlSeconds, users: options.users });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  // The control endpoints are closed to callers without the simulator's credentials: the first user's (an
  // administrator when it has no tenancies), or the default one.
  const { username, password } = options.users?.[0] ?? SIM_FIXTURES.defaultUser;
  const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

  async function ledger(): Promise<Ledger> {
    const response = await fetch(`${origin}/_sim/ledger`, { headers: { authorization } });
    if (!response.ok) throw new Error(`GET /_sim/ledger answered ${response.status}`);
    return (await response.json()) as Ledger;
  }

  return {
    url: `${origin}/api`,
    username,
    password,
    ledger,
    async requests(method, pathPattern) {
      const { requests } = await ledger();
      return requests.filter(
        (r) =>
          (method === undefined || r.method.toUpperCase() === method.toUpperCase()) &&
          (pathPattern === undefined || pathMatches(pathPattern, r.path)),
      );
    },
    async setRules(rules) {
      const response = await fetch(`${origin}/_sim/rules`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(rules),
      });
      if (!response.ok) throw new Error(`PUT /_sim/rules answered ${response.status}: ${await response.text()}`);
    },
    async close() {
      await app.close();
    },
  };
}
