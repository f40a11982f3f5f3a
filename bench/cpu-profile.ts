/**
 * `npm run bench:cpu-profile -- [--side operation|baseline] [--in-flight N] [--window-ms MS] [--dir DIR]`: where the
 * worker's CPU per workflow task goes, per thread. Runs one side of figure 4's throughput block (the same closed loop,
 * bench/scenarios/throughput.ts) in a Node started with `--cpu-prof`, so every thread of the worker process writes a
 * V8 CPU profile when it ends (the workflow thread that Worker.create adds inherits the flag), then reads the
 * profiles back and prints, per thread, the self time inside the measured window per workflow task, by function and
 * by where the code lives (bundle, SDK, zod, Node, GC). Run each side in turn and compare.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { intOption } from '../src/cli/int-option';
import { withBench } from './harness';
import { QUICK } from './profile';
import { measureSide, type Side } from './scenarios/throughput';

interface Args {
  side: Side;
  inFlight: number;
  windowMs: number;
  dir: string | undefined;
  top: number;
}

/** The window in the profiles' clock (µs, monotonic: V8's profiler and process.hrtime share it on Linux). */
interface Window {
  side: Side;
  fromUs: number;
  toUs: number;
  workflowTasks: number;
  /** Thread ids of the worker process whose profiles count (the workflow thread and the main thread). */
  pid: number;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** In the child started with --cpu-prof: one side's block, the window's bounds written to `dir/window.json`. */
async function measure(args: Args, dir: string): Promise<void> {
  const warmupMs = 3_000;
  const profile = { ...QUICK, throughput: { ...QUICK.throughput, warmupMs, windowMs: args.windowMs } };
  const log = (line: string): void => void process.stderr.write(`[cpu-profile] ${line}\n`);
  await withBench(log, async (bench) => {
    let fromUs = 0;
    let toUs = 0;
    const marks = [
      setTimeout(() => (fromUs = nowUs()), warmupMs),
      setTimeout(() => (toUs = nowUs()), warmupMs + args.windowMs),
    ];
    const window = await measureSide(bench, profile, args.side, 'profile', args.inFlight);
    marks.forEach(clearTimeout);
    const workflowTasks = Math.round((window.workflowTasksPerSec * window.windowMs) / 1000);
    log(`${args.side}: ${workflowTasks} workflow tasks in the window; ${window.cpu.workerMsPerTask.toFixed(2)} ms/WFT`);
    const result: Window = { side: args.side, fromUs, toUs, workflowTasks, pid: process.pid };
    writeFileSync(path.join(dir, 'window.json'), JSON.stringify({ ...result, window }, null, 2));
  });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's code lives, for the summary by area. */
function area(url: string, name: string): string {
  if (name.startsWith('(')) return name; // (garbage collector), (program), (idle)
  if (url.includes('workflow-bundle') || url.startsWith('file://') === false && url.includes('/src/')) return 'nse-flow';
  if (url.includes('/zod/')) return 'zod';
  if (url.includes('@temporalio/proto') || url.includes('protobufjs')) return 'protobuf';
  if (url.includes('@temporalio/workflow')) return 'SDK workflow';
  if (url.includes('@temporalio/')) return 'SDK';
  if (url.startsWith('node:') || url === '') return 'Node / native';
  if (url.includes('/node_modules/')) return url.split('/node_modules/').at(-1)?.split('/')[0] ?? 'other';
  return 'nse-flow';
}

/** Self time (ms) inside [fromUs, toUs) by function and by area. */
function selfTimes(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
): { total: number; byFunction: Map<string, number>; byArea: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < fromUs || t >= toUs) continue;
    const node = nodes.get(profile.samples[i] as number);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const ms = delta / 1000;
    const file = url.split('/').slice(-2).join('/');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const where = area(url, functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + ms);
    total += ms;
  }
  return { total, byFunction, byArea };
}

function report(dir: string, top: number): void {
  const window = JSON.parse(readFileSync(path.join(dir, 'window.json'), 'utf8')) as Window;
  const perTask = (ms: number): string => (ms / window.workflowTasks).toFixed(3);
  const lines: string[] = [
    `${window.side}: ${window.workflowTasks} workflow tasks in ${((window.toUs - window.fromUs) / 1e6).toFixed(1)} s; ` +
      'self time per workflow task (ms), busy samples only',
  ];
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${window.pid}.`));
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const { total, byFunction, byArea } = selfTimes(profile, window.fromUs, window.toUs);
    if (total === 0) continue;
    const thread = file.split('.').at(-3) === '0' ? 'main thread' : `thread ${file.split('.').at(-3)}`;
    lines.push('', `### ${thread} (${file}): ${perTask(total)} ms per workflow task`, '', 'By area:');
    for (const [name, ms] of [...byArea].sort((a, b) => b[1] - a[1])) lines.push(`  ${perTask(ms).padStart(7)}  ${name}`);
    lines.push('Top functions:');
    for (const [name, ms] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`  ${perTask(ms).padStart(7)}  ${name}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function parseArgs(argv: string[]): Args & { child: boolean } {
  const options = new Command('npm run bench:cpu-profile --')
    .addOption(new Option('--side <side>', 'operation or baseline').choices(['operation', 'baseline']).default('operation'))
    .option('--in-flight <n>', 'runs kept in flight', intOption(1, 10_000), 120)
    .option('--window-ms <ms>', 'the measured window', intOption(1_000), 10_000)
    .option('--top <n>', 'functions listed per thread', intOption(1, 200), 25)
    .option('--dir <dir>', 'where the profiles go (a new temp dir otherwise)')
    .addOption(new Option('--child').hideHelp())
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse(argv, { from: 'user' })
    .opts<{ side: Side; inFlight: number; windowMs: number; top: number; dir?: string; child?: boolean }>();
  return { ...options, dir: options.dir, child: options.child === true };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    await measure(args, args.dir as string);
    return;
  }
  const dir = args.dir ?? mkdtempSync(path.join(os.tmpdir(), `nse-flow-cpu-${args.side}-`));
  const child = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '-r',
      'ts-node/register/transpile-only',
      __filename,
      '--child',
      '--dir',
      dir,
      '--side',
      args.side,
      '--in-flight',
      String(args.inFlight),
      '--window-ms',
      String(args.windowMs),
    ],
    { stdio: 'inherit' },
  );
  if (child.status !== 0) throw new Error(`the profiled run failed (exit ${child.status ?? child.signal})`);
  process.stderr.write(`profiles in ${dir}\n`);
  report(dir, args.top);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`cpu-profile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
