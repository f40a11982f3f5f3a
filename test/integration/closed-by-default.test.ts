/**
 * Closed by default (#15): the worker's probes and metrics bind 127.0.0.1 unless configured, and the codec server
 * does not start without a token unless told so explicitly, and then warns. Before the fix the probes bound 0.0.0.0
 * and the codec server decrypted for anyone without a token.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AesGcmCodec } from '../../src/codec';
import { startCodecServer } from '../../src/codec/codec-server';
import { loadConfig } from '../../src/config';
import { startHealthServer } from '../../src/metrics/health-server';

const BIN = path.join(__dirname, '..', '..', 'bin', 'nse-flow.js');
const codec = new AesGcmCodec({ activeKeyId: 'k1', keys: [{ id: 'k1', key: randomBytes(32) }] });

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env } }, (error, _out, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr });
    });
  });
}

describe('probes and metrics', () => {
  it('bind 127.0.0.1 unless an address is configured', () => {
    const config = loadConfig({
      NSE_USERNAME: 'u',
      NSE_PASSWORD: 'p',
      NSE_FLOW_METRICS_PORT: '9464',
      HOME: '/nonexistent',
    });
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.health).toEqual({ host: '127.0.0.1', port: 9465 });
  });

  it('the health server (fastify) listens on 127.0.0.1 and answers only its probes, only to GET', async () => {
    let state = 'STARTING';
    const config = loadConfig({
      NSE_USERNAME: 'u',
      NSE_PASSWORD: 'p',
      NSE_FLOW_HEALTH_PORT: '1',
      HOME: '/nonexistent',
    });
    const server = await startHealthServer({ host: config.health?.host as string, port: 0, workerState: () => state });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      state = 'RUNNING';
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', workerState: 'RUNNING' });
      expect(ready.headers.get('cache-control')).toBe('no-store');
      expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('the codec server', () => {
  it('refuses to start without a token', async () => {
    await expect(startCodecServer({ codec, port: 0, uiOrigins: [] })).rejects.toThrow(/token is required/);
  });

  it('serves without a token only when told explicitly', async () => {
    const server = await startCodecServer({ codec, port: 0, uiOrigins: [], allowNoToken: true });
    try {
      const response = await fetch(`${server.url}/encode`, { method: 'POST', body: '{"payloads":[]}' });
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('nse-flow codec-server exits 2 without a token, naming the options', async () => {
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    const run = await cli(['codec-server', '--port', '1'], { NSE_FLOW_CODEC_KEYS: keys });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/token is required .*--insecure-no-token/);
  });
});
