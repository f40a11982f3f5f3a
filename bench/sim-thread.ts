/**
 * The NSE simulator on a thread of its own. The simulator stands in for a remote NSE, so its CPU is not nse-flow's:
 * on its own thread the benchmark can read that CPU apart (by thread id, from /proc) instead of counting it as the
 * worker's main thread, where activities run. The simulator still answers over real HTTP on 127.0.0.1; the
 * benchmark talks to the thread by message only to set rules and to read its jobs and when each was first answered
 * with a terminal state (the ledger has no timestamps).
 * @module
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { buildSimulator } from '../simulator/app';
import type { RequestRateReport } from '../simulator/request-rate';
import type { SimRule } from '../simulator/rules';
import { nodeThreadsNow } from './proc';

/** One simulator job as the benchmark needs it. */
export interface SimJobView {
  id: string;
  objectName: string;
  /** When NSE accepted the job (epoch ms). */
  created: number;
  /** When the job last changed state (epoch ms): for a wall-clock job, when it turned terminal. */
  updated: number;
  /** Reads of the job the simulator answered with 200. */
  reads: number;
  /** When a read first answered a terminal state (epoch ms). */
  firstTerminalAt?: number;
}

/** A simulator running on its own thread. */
export interface SimulatorThread {
  /** Base URL of its API, for an NseClient. */
  url: string;
  /** Ids of the threads it added to this process (one: the thread itself). */
  threadIds: ReadonlySet<string>;
  setRules(rules: SimRule[]): Promise<void>;
  /** Its jobs whose resource name starts with `namePrefix` (all when empty). */
  jobs(namePrefix?: string): Promise<SimJobView[]>;
  /** API requests per second whose second starts in [from, to) (epoch ms), as `GET /_sim/request-rate`. */
  requestRate(from?: number, to?: number): Promise<RequestRateReport>;
  stop(): Promise<void>;
}

type Question =
  | { kind: 'setRules'; rules: SimRule[] }
  | { kind: 'jobs'; namePrefix: string }
  | { kind: 'requestRate'; from?: number; to?: number };
type Request = Question & { seq: number };
type Reply = { seq: number; jobs?: SimJobView[]; requestRate?: RequestRateReport; error?: string };

const TERMINAL_ANSWER = /"state":"(NORMAL|ERROR|PARTIAL_FAILURES)"/;

/** Starts the simulator thread with `rules`; resolves once it listens. */
export async function startSimulatorThread(rules: SimRule[]): Promise<SimulatorThread> {
  const before = nodeThreadsNow();
  // The benchmark runs under ts-node, whose require hook a new thread does not inherit.
  const thread = new Worker(
    `require('ts-node/register/transpile-only'); require(${JSON.stringify(__filename)}).serveSimulator();`,
    { eval: true, workerData: { rules } },
  );
  const [port] = (await once(thread, 'message')) as [number];
  const threadIds = new Set([...nodeThreadsNow()].filter((tid) => !before.has(tid)));

  let seq = 0;
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();
  thread.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.seq);
    pending.delete(reply.seq);
    if (reply.error !== undefined) waiter?.reject(new Error(`simulator thread: ${reply.error}`));
    else waiter?.resolve(reply);
  });
  // A thread that dies would otherwise leave every question unanswered and the benchmark waiting for ever.
  const failAll = (err: Error): void => {
    pending.forEach((waiter) => waiter.reject(err));
    pending.clear();
  };
  thread.on('error', failAll);
  thread.on('exit', (code) => failAll(new Error(`simulator thread exited (code ${code})`)));
  const ask = (request: Question): Promise<Reply> =>
    new Promise((resolve, reject) => {
      seq += 1;
      pending.set(seq, { resolve, reject });
      thread.postMessage({ ...request, seq });
    });

  return {
    url: `http://127.0.0.1:${port}/api`,
    threadIds,
    setRules: async (next) => {
      await ask({ kind: 'setRules', rules: next });
    },
    jobs: async (namePrefix = '') => (await ask({ kind: 'jobs', namePrefix })).jobs ?? [],
    requestRate: async (from, to) => {
      const { requestRate } = await ask({ kind: 'requestRate', from, to });
      if (!requestRate) throw new Error('simulator thread: no request rate in its answer');
      return requestRate;
    },
    stop: async () => {
      await thread.terminate();
    },
  };
}

/** The thread's side: builds and serves the simulator, answers the benchmark's messages. */
export async function serveSimulator(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveSimulator runs on a worker thread');
  const sim = buildSimulator({ rules: (workerData as { rules: SimRule[] }).rules });
  const reads = new Map<string, { count: number; firstTerminalAt?: number }>();
  sim.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'GET' && request.routeOptions.url === '/api/v2.1/jobs/:id' && reply.statusCode === 200) {
      const id = (request.params as { id: string }).id;
      let seen = reads.get(id);
      if (!seen) reads.set(id, (seen = { count: 0 }));
      seen.count += 1;
      if (seen.firstTerminalAt === undefined && typeof payload === 'string' && TERMINAL_ANSWER.test(payload))
        seen.firstTerminalAt = Date.now();
    }
    return payload;
  });
  await sim.listen({ port: 0, host: '127.0.0.1' });
  port.on('message', (request: Request) => {
    try {
      if (request.kind === 'setRules') {
        sim.sim.setRules(request.rules);
        port.postMessage({ seq: request.seq } satisfies Reply);
        return;
      }
      if (request.kind === 'requestRate') {
        const requestRate = sim.sim.requestRate(request.from, request.to);
        port.postMessage({ seq: request.seq, requestRate } satisfies Reply);
        return;
      }
      const jobs = sim.sim.store
        .allJobs()
        .filter((job) => job.objectName.startsWith(request.namePrefix))
        .map((job): SimJobView => {
          const seen = reads.get(job.id);
          return {
            id: job.id,
            objectName: job.objectName,
            created: job.created,
            updated: job.updated,
            reads: seen?.count ?? 0,
            ...(seen?.firstTerminalAt !== undefined && { firstTerminalAt: seen.firstTerminalAt }),
          };
        });
      port.postMessage({ seq: request.seq, jobs } satisfies Reply);
    } catch (err) {
      port.postMessage({ seq: request.seq, error: String(err) } satisfies Reply);
    }
  });
  port.postMessage((sim.server.address() as AddressInfo).port);
}
