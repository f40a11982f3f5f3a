/**
 * Process accounting from /proc (Linux): CPU time of any process or of this process's threads, and the machine
 * the figures were taken on.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let clockTicks: number | undefined;

/** USER_HZ, the unit of the CPU times in /proc/<pid>/stat (100 on nearly every Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a /proc stat file in ms; the command name may hold spaces, so fields count from its `)`. */
function statCpuMs(file: string): number {
  const text = readFileSync(file, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(0) ppid(1) ... utime(11) stime(12).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / clockTicksPerSecond();
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): state is [0], ppid [1]. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process is gone
  }
}

/**
 * CPU time (ms) of a process and its live children, with what its exited children used (cutime, cstime): for
 * PostgreSQL, whose postmaster forks a backend per connection and reaps those that end.
 */
export function processTreeCpuMs(pid: number): number {
  let ticks = 0;
  const own = (fields: string[]): number =>
    Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  const root = statFields(pid);
  if (root) ticks += own(root);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields && Number(fields[1]) === pid) ticks += own(fields);
  }
  return (ticks * 1000) / clockTicksPerSecond();
}

/** CPU time (user + system) a process has used so far, in ms. */
export function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time this process has used so far, in ms (all threads: JS, workflow threads, Rust core, libuv). */
export function selfCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Thread groups of this process, as the report shows them. */
export interface ThreadCpu {
  /** The main JS thread: activities, the SDK's JS side (and the plain-Node poller of scenario 6). */
  main: number;
  /** The worker's workflow thread(s), which run workflow code in the V8 sandbox. */
  workflow: number;
  /** Other Node threads: V8 platform workers (concurrent GC, compiler) and libuv's pool. */
  v8AndLibuv: number;
  /** Threads of the Rust core (tokio runtime, workflow processing). */
  core: number;
  /** The NSE simulator's own thread (bench/sim-thread.ts): a stand-in for NSE, not part of the worker's cost. */
  simulator: number;
}

function threadIds(): string[] {
  return readdirSync('/proc/self/task');
}

/** The ids of this process's Node-named threads now; the worker's workflow threads are those Worker.create adds. */
export function nodeThreadsNow(): Set<string> {
  return new Set(threadIds().filter((tid) => readComm(tid) === 'node'));
}

function readComm(tid: string): string {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** On-CPU time of one thread in ms, from schedstat (ns precision), falling back to stat ticks. */
function threadMs(tid: string): number {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return statCpuMs(`/proc/self/task/${tid}/stat`);
  }
}

/**
 * CPU ms of this process's threads by group; `workflowThreads` are the thread ids Worker.create added,
 * `simulatorThreads` those the simulator thread added.
 */
export function threadCpuMs(
  workflowThreads: ReadonlySet<string>,
  simulatorThreads: ReadonlySet<string> = new Set(),
): ThreadCpu {
  const out: ThreadCpu = { main: 0, workflow: 0, v8AndLibuv: 0, core: 0, simulator: 0 };
  for (const tid of threadIds()) {
    const comm = readComm(tid);
    if (comm === '') continue; // ended meanwhile
    let ms: number;
    try {
      ms = threadMs(tid);
    } catch {
      continue;
    }
    if (tid === String(process.pid)) out.main += ms;
    else if (comm !== 'node') out.core += ms;
    else if (workflowThreads.has(tid)) out.workflow += ms;
    else if (simulatorThreads.has(tid)) out.simulator += ms;
    else out.v8AndLibuv += ms;
  }
  return out;
}

/** CPU time (ms) all processes of the machine have used since boot (busy = not idle, not iowait), from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal; guest time is already in user
  return ((total - idle) * 1000) / clockTicksPerSecond();
}

let gcFunction: (() => void) | undefined;

/** A full garbage collection of the main isolate (the worker's workflow isolate cannot be reached from here). */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/** Resident set size of this process in bytes. */
export function rssBytes(): number {
  return process.memoryUsage.rss();
}

/** The machine, for the report. */
export interface MachineInfo {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  kernel: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel,
    kernel: os.release(),
    node: process.version,
  };
}
