/**
 * The chaos suite's stack, built with tools/stack.ts, all on 127.0.0.1 and all stopped by {@link ChaosStack.stop}:
 * the real Temporal dev server (a child process on a SQLite file in a temp dir, so it can be restarted with its
 * state), the NSE simulator (in-process, real HTTP, its clock under the suite's control so every issued token can be
 * made to expire at once, hooks that watch its traffic), and the worker as a child process (`node bin/nse-flow.js
 * worker`), whose JSON log lines go to a file and which can be killed with SIGKILL and started again.
 * @module
 */
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { connect, type NseFlowClient } from '../src/client';
import { bundleWorkflows } from '../tools/bundle-workflows';
import type { SimulatorApp } from '../simulator/app';
import type { Ledger } from '../simulator/job-store';
import type { SimRule } from '../simulator/rules';
import { Stack, type WorkerProcess } from '../tools/stack';

/** What the suite learns about each API request the simulator serves. */
export interface SimRequestInfo {
  method: string;
  /** Path after `/api`, without the query. */
  path: string;
  /** The name the request is about (body name, snapshot name, the created job's name, the target's name). */
  name: string | undefined;
  /** Set on responses. */
  status?: number;
  /** Job reads: the job's word after the read (undefined once it vanished). */
  jobWord?: string;
}

/** Callbacks on simulator traffic; they run inside the simulator's request handling, so they must not block. */
export interface SimObserver {
  /** Before the handler runs: the request arrived whole, NSE has not acted on it yet. */
  request?(info: SimRequestInfo): void;
  /** After the answer was written. */
  response?(info: SimRequestInfo): void;
}

/** Options of {@link ChaosStack.start}. */
export interface StackOptions {
  workDir: string;
  username: string;
  password: string;
  taskQueue: string;
  /** Lifetime of simulator tokens in seconds; {@link ChaosStack.expireTokens} jumps the clock past it. */
  tokenTtlSeconds: number;
  /** A prebuilt workflow bundle; one is built into `workDir` when absent. */
  workflowBundle?: string;
  log: (line: string) => void;
}

/** The running stack of one chaos run. */
export class ChaosStack {
  serverRestarts = 0;
  tokenExpiries = 0;
  /** Set by {@link stop}: the client is closed, so the harness's retry loops give up instead of calling it. */
  stopped = false;

  private constructor(
    readonly options: StackOptions,
    readonly sim: SimulatorApp,
    readonly simOrigin: string,
    /** Milliseconds added to the simulator's clock. */
    private readonly clock: { offsetMs: number },
    private readonly observers: SimObserver[],
    /** Every token the simulator issued (sign-in and refresh answers). */
    readonly issuedTokens: ReadonlySet<string>,
    /** The dev server, and every part below, stopped newest first. */
    private readonly stack: Stack,
    readonly worker: WorkerProcess,
    readonly client: NseFlowClient,
  ) {}

  /** Base URL of the simulator's API. */
  get simUrl(): string {
    return `${this.simOrigin}/api`;
  }

  get temporalAddress(): string {
    return this.stack.temporal.address;
  }

  /** Starts everything; on failure stops what it had started and rethrows. */
  static async start(options: StackOptions): Promise<ChaosStack> {
    const stack = new Stack(options.log);
    try {
      let bundle = options.workflowBundle;
      if (!bundle) {
        options.log('bundling the workflows');
        bundle = path.join(options.workDir, 'workflow-bundle.js');
        await bundleWorkflows(bundle);
      }
      const server = await stack.startTemporal({
        dbFile: path.join(options.workDir, 'temporal.db'),
        logFile: path.join(options.workDir, 'temporal-server.log'),
      });

      const clock = { offsetMs: 0 };
      const observers: SimObserver[] = [];
      const issued = new Set<string>();
      const sim = await stack.startSimulator({
        users: [{ username: options.username, password: options.password }],
        tokenTtlSeconds: options.tokenTtlSeconds,
        now: () => Date.now() + clock.offsetMs,
        prepare: (app) => installHooks(app, observers, issued),
      });

      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: 'default',
        NSE_FLOW_TASK_QUEUE: options.taskQueue,
        NSE_BASE_URL: sim.url,
        NSE_USERNAME: options.username,
        NSE_PASSWORD: options.password,
        NSE_AUTH: 'jwt',
        // Above the 30 s start-to-close of reads, so a held read is ended by the activity timeout.
        NSE_TIMEOUT_MS: '45000',
        NSE_FLOW_WORKFLOW_BUNDLE: bundle,
        NSE_FLOW_SHUTDOWN_GRACE_MS: '5000',
        LOG_LEVEL: 'info',
      };
      const worker = await stack.startWorkerProcess({
        env,
        logPath: path.join(options.workDir, 'worker.log'),
        stderrPath: path.join(options.workDir, 'worker-stderr.log'),
      });
      const client = await connect({ address: server.address, taskQueue: options.taskQueue, env: {} });
      stack.defer('client', () => client.close());
      return new ChaosStack(options, sim.app, sim.origin, clock, observers, issued, stack, worker, client);
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }

  /** Adds an observer of simulator traffic. */
  observe(observer: SimObserver): void {
    this.observers.push(observer);
  }

  /** The simulator's control endpoints need its credentials: the suite's user is its administrator. */
  private simAuthorization(): string {
    return `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
  }

  /** Replaces the simulator's rules over HTTP, as any tool would (`PUT /_sim/rules`). */
  async setRules(rules: SimRule[]): Promise<void> {
    const response = await fetch(`${this.simOrigin}/_sim/rules`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: this.simAuthorization() },
      body: JSON.stringify(rules),
    });
    if (!response.ok) throw new Error(`PUT /_sim/rules answered ${response.status}: ${await response.text()}`);
  }

  /** The simulator's ledger over HTTP (`GET /_sim/ledger`). */
  async ledger(): Promise<Ledger> {
    const response = await fetch(`${this.simOrigin}/_sim/ledger`, {
      headers: { authorization: this.simAuthorization() },
    });
    if (!response.ok) throw new Error(`GET /_sim/ledger answered ${response.status}`);
    return (await response.json()) as Ledger;
  }

  /** Moves the simulator's clock past the token lifetime: every token issued so far is expired from now on. */
  expireTokens(): void {
    this.clock.offsetMs += (this.options.tokenTtlSeconds + 1) * 1000;
    this.tokenExpiries++;
  }

  /** Stops the dev server (SIGTERM) and starts it again on the same port and SQLite file. */
  async restartServer(): Promise<void> {
    await this.stack.restartTemporal();
    this.serverRestarts++;
  }

  /** Stops the client, the worker, the simulator and the dev server, newest first; safe to call more than once. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stack.stop();
  }
}

function notify(observers: readonly SimObserver[], kind: 'request' | 'response', info: SimRequestInfo): void {
  for (const o of observers) o[kind]?.(info);
}

/** Hooks that report traffic to the observers and collect every token the simulator hands out. */
function installHooks(sim: SimulatorApp, observers: SimObserver[], issued: Set<string>): void {
  const describe = (request: FastifyRequest): SimRequestInfo | undefined => {
    if (!request.url.startsWith('/api/')) return undefined;
    const path = request.url.slice('/api'.length).split('?')[0] ?? '';
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const body = (request.body ?? {}) as Record<string, unknown>;
    let name: string | undefined;
    for (const key of ['name', 'display_name', 'alias'])
      if (typeof body[key] === 'string') name ??= body[key] as string;
    name ??= params.name ?? params.alias;
    let jobWord: string | undefined;
    if (/^\/v2\.1\/jobs\/[^/]+$/.test(path) && params.id) {
      const job = sim.sim.store.getJob(params.id);
      name = job?.matchName;
      jobWord = job ? sim.sim.store.currentWord(job) : undefined;
    } else if (name === undefined && params.id) {
      name = sim.sim.store.getResource(params.id)?.name;
    }
    return { method: request.method, path, name, ...(jobWord !== undefined ? { jobWord } : {}) };
  };
  sim.addHook('preHandler', async (request) => {
    const info = describe(request);
    if (info) notify(observers, 'request', info);
  });
  sim.addHook('onSend', async (request, _reply, payload) => {
    if (request.url.startsWith('/api/v2.1/auth/') && typeof payload === 'string') {
      for (const match of payload.matchAll(/"token":"([^"]+)"/g)) if (match[1]) issued.add(match[1]);
    }
    return payload;
  });
  sim.addHook('onResponse', async (request, reply) => {
    const info = describe(request);
    if (info) notify(observers, 'response', { ...info, status: reply.statusCode });
  });
}
