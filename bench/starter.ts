/**
 * Parent side of the starter child (./client-process.ts): forks it with ts-node, sends it batches and waits for
 * the outcomes.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { RunOutcome, RunSpec, StarterReply, StarterRequest } from './client-process';
import type { RunTemplate } from './inputs';

export type { RunOutcome, RunSpec };

export class Starter {
  private nextBatch = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (reply: StarterReply) => void; reject: (err: Error) => void }
  >();

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    private readonly taskQueue: string,
  ) {
    child.on('message', (reply: StarterReply) => {
      if (reply.kind === 'ready') return;
      const id = reply.batchId;
      const waiter = id === undefined ? undefined : this.waiting.get(id);
      if (!waiter || id === undefined) return;
      this.waiting.delete(id);
      if (reply.kind === 'error') waiter.reject(new Error(`starter: ${reply.message}`));
      else waiter.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`starter exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  /** Forks the starter against the dev server at `address` and waits until it is connected. */
  static async start(address: string, taskQueue: string): Promise<Starter> {
    const child = fork(require.resolve('./client-process'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, BENCH_TEMPORAL_ADDRESS: address },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the starter did not connect within 60 s')), 60_000);
      child.once('exit', (code) => reject(new Error(`the starter exited early (${code})`)));
      child.on('message', (reply: StarterReply) => {
        if (reply.kind !== 'ready') return;
        clearTimeout(timer);
        resolve(reply.pid);
      });
    });
    return new Starter(child, pid, taskQueue);
  }

  /** Sends one request; rejects if the answer takes longer than `timeoutMs` (no scenario waits unboundedly). */
  private request(message: StarterRequest & { batchId: number }, timeoutMs = 600_000): Promise<StarterReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(message.batchId);
        reject(new Error(`starter: no answer to ${message.kind} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T): void => {
          clearTimeout(timer);
          fn(value);
        };
      this.waiting.set(message.batchId, { resolve: settle(resolve), reject: settle(reject) });
      this.child.send(message);
    });
  }

  /**
   * Starts every run (at most `startConcurrency` start calls at once, or one every `spacingMs`) and, with `wait`,
   * waits for all results.
   */
  async run(
    runs: RunSpec[],
    options: { startConcurrency?: number; spacingMs?: number; wait?: boolean; taskQueue?: string } = {},
  ): Promise<RunOutcome[]> {
    const reply = await this.request({
      kind: 'batch',
      batchId: this.nextBatch++,
      taskQueue: options.taskQueue ?? this.taskQueue,
      runs,
      startConcurrency: options.startConcurrency ?? 32,
      ...(options.spacingMs === undefined ? {} : { spacingMs: options.spacingMs }),
      wait: options.wait ?? true,
    });
    if (reply.kind !== 'batch-done') throw new Error(`starter answered ${reply.kind}`);
    return reply.outcomes;
  }

  /** Keeps `concurrency` runs of `template` in flight for `durationMs`, then lets the last ones finish. */
  async sustain(template: RunTemplate, concurrency: number, durationMs: number): Promise<RunOutcome[]> {
    const reply = await this.request({
      kind: 'sustain',
      batchId: this.nextBatch++,
      taskQueue: this.taskQueue,
      template,
      concurrency,
      durationMs,
    });
    if (reply.kind !== 'batch-done') throw new Error(`starter answered ${reply.kind}`);
    return reply.outcomes;
  }

  /** Terminates runs (clean-up after a scenario whose runs never end). */
  async terminate(workflowIds: string[]): Promise<void> {
    await this.request({ kind: 'terminate', batchId: this.nextBatch++, workflowIds });
  }

  /** Asks the child to exit, then kills it if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ kind: 'exit' } satisfies StarterRequest);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
