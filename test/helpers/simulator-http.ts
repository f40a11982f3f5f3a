/**
 * HTTP helpers of the simulator's unit tests: each test builds its own simulator, which listens on a free port of
 * 127.0.0.1 on first use (fastify's inject() cannot load under Jest on Node 20: its light-my-request needs the
 * ESM-only `cookie@2`), and talks to it with fetch. Jobs move per read, so tests drive them by reading.
 */
import type { AddressInfo } from 'node:net';
import { buildSimulator, type SimulatorApp, type SimulatorOptions } from '../../simulator/app';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { diskFields } from './fixtures';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const F = SIM_FIXTURES;
/** The `Authorization` header of HTTP Basic for a user. */
export const basic = (user: { username: string; password: string }): string =>
  `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
export const BASIC = basic(F.defaultUser);
export const IQN = 'iqn.1998-01.com.vmware:host';

const apps: SimulatorApp[] = [];

/** Closes every simulator {@link build} made; each test file calls it in `afterEach`. */
export async function closeAll(): Promise<void> {
  await Promise.all(apps.splice(0).map((app) => app.close()));
}

export function build(options: SimulatorOptions = {}): SimulatorApp {
  const app = buildSimulator(options);
  apps.push(app);
  return app;
}

const origins = new WeakMap<SimulatorApp, Promise<string>>();

/** Starts listening on first use, on a free port of 127.0.0.1. */
export function originOf(app: SimulatorApp): Promise<string> {
  let origin = origins.get(app);
  if (!origin) {
    origin = app
      .listen({ port: 0, host: '127.0.0.1' })
      .then(() => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    origins.set(app, origin);
  }
  return origin;
}

export interface Raw {
  statusCode: number;
  headers: Headers;
  body: string;
  json(): Json;
}

/** One HTTP request to the simulator; `body` is sent as JSON, `text` as it is. */
export async function raw(
  app: SimulatorApp,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: unknown; text?: string } = {},
): Promise<Raw> {
  const origin = await originOf(app);
  const headers: Record<string, string> = { ...options.headers };
  let payload = options.text;
  if (payload === undefined && options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${origin}${url}`, { method, headers, body: payload });
  const body = await res.text();
  return { statusCode: res.status, headers: res.headers, body, json: () => JSON.parse(body) as Json };
}

export interface Call {
  status: number;
  json: Json;
  headers: Headers;
  body: string;
  record: Json;
}

/** Every `/api` answer must be NSE's envelope with `code` equal to the HTTP status, and errors `result: {}`. */
export function expectEnvelope(status: number, json: Json): void {
  expect(json).toEqual({
    status: { user_message: expect.any(String), verbose_message: expect.any(String), code: status },
    result: expect.any(Object),
  });
  if (status >= 400) expect(json.result).toEqual({});
}

export async function api(
  app: SimulatorApp,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: BASIC },
): Promise<Call> {
  const res = await raw(app, method, `/api${url}`, { headers, body });
  const json = res.json();
  expectEnvelope(res.statusCode, json);
  return { status: res.statusCode, json, headers: res.headers, body: res.body, record: json.result.records?.[0] };
}

export const hostgroupBody = (name: string, extra: Json = {}): Json => ({
  name,
  subtenant_id: F.subtenantId,
  zone: F.zone,
  protocol: 'iscsi',
  os_type: 'linux',
  ...extra,
});

export const diskBody = (name: string, extra: Json = {}): Json => ({ ...diskFields(name), ...extra });

export async function submit(
  app: SimulatorApp,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<Json> {
  const res = await api(app, method, url, body);
  expect(res.status).toBe(202);
  return res.record;
}

export async function readJob(app: SimulatorApp, id: string): Promise<Json> {
  const res = await api(app, 'GET', `/v2.1/jobs/${id}`);
  expect(res.status).toBe(200);
  return res.record;
}

/** Reads a job until it ends; returns the words seen (state, or status while there is no state). */
export async function finish(app: SimulatorApp, id: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 50; i += 1) {
    const job = await readJob(app, id);
    seen.push(job.state ?? job.status);
    if (['NORMAL', 'ERROR', 'PARTIAL_FAILURES'].includes(job.state)) return seen;
  }
  throw new Error(`job ${id} did not finish: ${seen.join(' ')}`);
}

/** Yields to the event loop until `condition` holds: synchronises with in-flight requests without sleeping. */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 10_000; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}
