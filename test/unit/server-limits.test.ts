/**
 * Every HTTP server of nse-flow (the NSE simulator, the codec server, the worker's health server) answers a caller
 * without credentials before reading its body, and cuts off a client that drips its headers or body or leaves a
 * keep-alive connection idle (issue #24 point 5). Each test talks to a real listening server over a raw socket, with
 * short limits configured, and waits for the answer or for the server to close the connection: no timing thresholds.
 * Before: the codec server read an unauthenticated 8 MiB body before answering 401, and no server had a request
 * timeout, so a dripped body kept its connection open for as long as the client liked.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { startCodecServer, type RunningCodecServer } from '../../src/codec/codec-server';
import { startHealthServer, type RunningHealthServer } from '../../src/metrics/health-server';
import type { ServerLimits } from '../../src/server-limits';
import { buildSimulator, type SimulatorApp } from '../../simulator/app';
import { SIM_FIXTURES } from '../../simulator/fixtures';

const SHORT: Partial<ServerLimits> = {
  headersTimeoutMs: 200,
  requestTimeoutMs: 200,
  keepAliveTimeoutMs: 200,
  checkIntervalMs: 50,
  bodyLimitBytes: 64 * 1024,
};
const TOKEN = 'codec-token-limits';
const BASIC = `Basic ${Buffer.from(`${SIM_FIXTURES.defaultUser.username}:${SIM_FIXTURES.defaultUser.password}`).toString('base64')}`;

/** A raw connection: what the server sent so far, and a promise of its close. */
interface RawConnection {
  socket: Socket;
  received(): string;
  closed: Promise<string>;
  /** Resolves once what the server sent contains `text`. */
  receives(text: string): Promise<string>;
}

async function open(port: number): Promise<RawConnection> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  const waiting: { text: string; resolve: (all: string) => void }[] = [];
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('latin1');
    for (const w of waiting.splice(0)) {
      if (data.includes(w.text)) w.resolve(data);
      else waiting.push(w);
    }
  });
  socket.on('error', () => undefined); // a reset after the server closed is the expected end
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(data)));
  return {
    socket,
    received: () => data,
    closed,
    receives: (text) =>
      data.includes(text) ? Promise.resolve(data) : new Promise((resolve) => waiting.push({ text, resolve })),
  };
}

/** A request's head; `headers` as written, `Host` added. */
const head = (line: string, headers: Record<string, string | number>): string =>
  `${line}\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

interface Subject {
  name: string;
  port: () => number;
  /** A request that needs credentials and has a body, sent without them. */
  unauthenticatedPost: string;
  /** The same with credentials (its body is read). */
  authenticatedPost: string;
  /** A complete request the server answers 2xx. */
  simpleGet: string;
}

let codec: RunningCodecServer;
let health: RunningHealthServer;
let sim: SimulatorApp;

beforeAll(async () => {
  codec = await startCodecServer({
    codec: new AesGcmCodec({ activeKeyId: 'k1', keys: [{ id: 'k1', key: Buffer.alloc(32, 7) }] }),
    port: 0,
    uiOrigins: [],
    token: TOKEN,
    limits: SHORT,
  });
  health = await startHealthServer({ host: '127.0.0.1', port: 0, workerState: () => 'RUNNING', limits: SHORT });
  sim = buildSimulator({ limits: SHORT });
  await sim.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await Promise.all([codec?.close(), health?.close(), sim?.close()]);
});

const EIGHT_MIB = 8 * 1024 * 1024;
/** A body the limit allows: a server that reads it before refusing waits for it (and times out: 408). */
const BELOW_LIMIT = 64 * 1024 - 1;
const json = { 'content-type': 'application/json' };
const subjects: Subject[] = [
  {
    name: 'codec server',
    port: () => codec.port,
    unauthenticatedPost: head('POST /decode HTTP/1.1', { ...json, 'content-length': BELOW_LIMIT }),
    authenticatedPost: head('POST /decode HTTP/1.1', {
      ...json,
      authorization: `Bearer ${TOKEN}`,
      'content-length': 100,
    }),
    simpleGet: head('OPTIONS /decode HTTP/1.1', {}),
  },
  {
    name: 'simulator API',
    port: () => (sim.server.address() as AddressInfo).port,
    unauthenticatedPost: head('POST /api/v2.1/hostgroups HTTP/1.1', { ...json, 'content-length': BELOW_LIMIT }),
    authenticatedPost: head('POST /api/v2.1/hostgroups HTTP/1.1', {
      ...json,
      authorization: BASIC,
      'content-length': 100,
    }),
    simpleGet: head('GET /api/v2.1/zones HTTP/1.1', { authorization: BASIC }),
  },
  {
    name: 'simulator control',
    port: () => (sim.server.address() as AddressInfo).port,
    unauthenticatedPost: head('PUT /_sim/rules HTTP/1.1', { ...json, 'content-length': BELOW_LIMIT }),
    authenticatedPost: head('PUT /_sim/rules HTTP/1.1', { ...json, authorization: BASIC, 'content-length': 100 }),
    simpleGet: head('GET /_sim/rules HTTP/1.1', { authorization: BASIC }),
  },
  {
    name: 'simulator, unknown route',
    port: () => (sim.server.address() as AddressInfo).port,
    unauthenticatedPost: head('POST /api/v2.1/nothing-here HTTP/1.1', { ...json, 'content-length': BELOW_LIMIT }),
    authenticatedPost: head('POST /api/v2.1/hostgroups HTTP/1.1', {
      ...json,
      authorization: BASIC,
      'content-length': 100,
    }),
    simpleGet: head('GET /api/v2.1/zones HTTP/1.1', { authorization: BASIC }),
  },
  {
    name: 'health server',
    port: () => health.port,
    unauthenticatedPost: head('POST /healthz HTTP/1.1', { ...json, 'content-length': BELOW_LIMIT }),
    authenticatedPost: head('POST /healthz HTTP/1.1', { ...json, 'content-length': 100 }),
    simpleGet: head('GET /healthz HTTP/1.1', {}),
  },
];

describe.each(subjects)('$name', (subject) => {
  it('answers a request it refuses before reading its body', async () => {
    const connection = await open(subject.port());
    connection.socket.write(subject.unauthenticatedPost); // a body announced, not one byte of it sent
    const answer = await Promise.race([connection.receives('\r\n\r\n'), connection.closed]);
    expect(answer).toMatch(/^HTTP\/1\.1 (401|404|405) /);
    connection.socket.destroy();
  });

  it('closes a connection whose headers drip', async () => {
    const connection = await open(subject.port());
    connection.socket.write(subject.simpleGet.slice(0, 20)); // and nothing more
    await connection.closed;
    expect(connection.received()).not.toMatch(/^HTTP\/1\.1 2/);
  });

  it('closes an idle keep-alive connection', async () => {
    const connection = await open(subject.port());
    connection.socket.write(subject.simpleGet);
    expect(await connection.receives('\r\n\r\n')).toMatch(/^HTTP\/1\.1 2\d\d /);
    await connection.closed; // the server closes it; the client never does
  });
});

describe.each(subjects.filter((s) => s.name !== 'health server' && s.name !== 'simulator, unknown route'))(
  '$name, authenticated',
  (subject) => {
    it('cuts off a body that drips', async () => {
      const connection = await open(subject.port());
      connection.socket.write(`${subject.authenticatedPost}{`); // 1 of the 100 bytes announced
      const received = await connection.closed;
      expect(received).toMatch(/^(HTTP\/1\.1 408 |$)/);
    });

    it('refuses a body over the limit without reading it', async () => {
      const connection = await open(subject.port());
      connection.socket.write(subject.authenticatedPost.replace('content-length: 100', `content-length: ${EIGHT_MIB}`));
      expect(await connection.receives('\r\n\r\n')).toMatch(/^HTTP\/1\.1 413 /);
      connection.socket.destroy();
    });
  },
);
