/**
 * The client library as a service gets it: `npm pack` of the project (its prepack builds lib/), the tarball installed
 * into a scratch TypeScript service outside the repository, which tsc type-checks and which then runs the README's
 * snippet (read from README.md) against the real dev server and the simulator: a plan that completes, one whose
 * second step fails, and one whose first step fails (startProvisioning throws). Loading the package's entry must not
 * load the worker, the simulator or the CLI. Packing runs in a copy of the tracked files, so lib/ never appears in
 * this checkout (the CLI would run it instead of the sources); the install is offline: the scratch service starts
 * from a copy of the project's node_modules, so npm finds every dependency already there.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ProvisionPlan } from '../../src/shared/plans';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FAST_POLL, hostgroupFields } from '../helpers/fixtures';
import { useTestWorker } from '../helpers/worker';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const NPM_FLAGS = ['--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'];

/** The README's TypeScript block under "Using nse-flow from a service": the service's code, as printed. */
function readmeSnippet(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('## Using nse-flow from a service')[1] ?? '';
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```ts block under "## Using nse-flow from a service"');
  return block;
}

/** Packs the project from a copy of its tracked files (node_modules linked); returns the tarball's path. */
async function packProject(workDir: string): Promise<string> {
  const copy = path.join(workDir, 'project');
  const { stdout: files } = await run('git', ['ls-files', '-z'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  for (const file of files.split('\0').filter(Boolean)) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(copy, file), { dereference: false, verbatimSymlinks: true });
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', workDir], {
    cwd: copy,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tarball = stdout.trim().split('\n').pop() as string;
  return path.join(workDir, tarball);
}

/** Versions of the project's own tools, so the scratch service's dev dependencies are found in its node_modules. */
function installedVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return (manifest as { version: string }).version;
}

/** Creates the scratch service (the README snippet and a main that calls it) and installs the tarball into it. */
async function createService(workDir: string, tarball: string): Promise<string> {
  const service = path.join(workDir, 'service');
  mkdirSync(path.join(service, 'src'), { recursive: true });
  const manifest = {
    name: 'scratch-service',
    version: '1.0.0',
    private: true,
    devDependencies: { typescript: installedVersion('typescript'), '@types/node': installedVersion('@types/node') },
  };
  writeFileSync(path.join(service, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(
    path.join(service, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        outDir: 'dist',
        types: ['node'],
        // As most services have it: @temporalio/common's declarations need @types/ms, which a service need not have.
        skipLibCheck: true,
      },
      include: ['src'],
    }),
  );
  writeFileSync(path.join(service, 'src', 'provision.ts'), readmeSnippet());
  writeFileSync(
    path.join(service, 'src', 'main.ts'),
    [
      "import { readFileSync } from 'node:fs';",
      "import type { ProvisionPlan } from 'nse-flow';",
      "import { provision } from './provision';",
      '',
      'const [planFile, orderId] = process.argv.slice(2) as [string, string];',
      "void provision(JSON.parse(readFileSync(planFile, 'utf8')) as ProvisionPlan, orderId);",
      '',
    ].join('\n'),
  );
  // A copy of the project's node_modules (hard links) holds every dependency: npm adds the package, fetches nothing
  // and removes what the service does not need.
  await run('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(service, 'node_modules')]);
  await run('npm', ['install', ...NPM_FLAGS, tarball], { cwd: service });
  return service;
}

describe('the client library, packed and installed into a service', () => {
  const harness = useTestWorker({ queue: 'client-package' });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-package-'));
  let tarball: string;
  let service: string;

  beforeAll(async () => {
    tarball = await packProject(workDir);
    service = await createService(workDir, tarball);
  }, 600_000);
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('type-checks and builds the service with tsc', async () => {
    await run(process.execPath, [path.join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', service]);
    expect(readdirSync(path.join(service, 'dist')).sort()).toEqual(['main.js', 'provision.js']);
  }, 120_000);

  it('ships no simulator: the test double has its own entry outside the package', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toContain('package/lib/cli.js');
    expect(files.filter((file) => /simulator/i.test(file))).toEqual([]);
  });

  it('loads only the client from its entry: no worker, simulator, CLI or bench', async () => {
    const script = "require('nse-flow'); process.stdout.write(JSON.stringify(Object.keys(require.cache)))";
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: service });
    const loaded = (JSON.parse(stdout) as string[]).map((file) =>
      path.relative(path.join(service, 'node_modules'), file),
    );
    const own = loaded.filter((file) => file.startsWith(`nse-flow${path.sep}`));
    expect(own).toContain(path.join('nse-flow', 'lib', 'client', 'index.js'));
    const notClient = /^nse-flow[\\/]lib[\\/](worker[\w-]*|cli|simulator|metrics|activities)(\.js$|[\\/])/;
    expect(own.filter((file) => notClient.test(file))).toEqual([]);
    expect(loaded.filter((file) => /(^|[\\/])bench[\\/]/.test(file))).toEqual([]);
    expect(loaded.filter((file) => /^(@temporalio[\\/](worker|core-bridge)|fastify|pino)[\\/]/.test(file))).toEqual([]);
  });

  it('keeps the nse-flow command working from the installed package', async () => {
    const { stdout } = await run(path.join(service, 'node_modules', '.bin', 'nse-flow'), ['--json', 'operations'], {
      cwd: service,
    });
    expect(JSON.parse(stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'create-hostgroup' })]));
  });

  /** Runs the README snippet (compiled by the tsc test above) with a plan of host groups named `names`. */
  async function provision(names: string[]): Promise<{ stdout: string; stderr: string }> {
    const plan: ProvisionPlan = {
      name: 'service-hostgroups',
      tenantId: SIM_FIXTURES.tenantId,
      poll: FAST_POLL,
      steps: names.map((name, index) => ({
        id: `hg${index + 1}`,
        operation: 'create-hostgroup',
        input: hostgroupFields(name),
      })),
    };
    const planFile = path.join(workDir, `${names[0]}.json`);
    writeFileSync(planFile, JSON.stringify(plan));
    const env = {
      PATH: process.env.PATH,
      HOME: workDir, // no user temporal.toml
      TEMPORAL_ADDRESS: harness.temporal.address,
      NSE_FLOW_TASK_QUEUE: harness.taskQueue,
    };
    const orderId = `order-${randomBytes(4).toString('hex')}`;
    return await run(process.execPath, [path.join(service, 'dist', 'main.js'), planFile, orderId], { env });
  }

  const suffix = randomBytes(3).toString('hex');

  it('starts a plan, follows it and gets its result', async () => {
    const { stdout, stderr } = await provision([`svc-a-${suffix}`, `svc-b-${suffix}`]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^started nse-flow-plan-order-[0-9a-f]+: step hg1, NSE job [0-9a-f]{24}$/m);
    expect(stdout).toContain("plan: 'service-hostgroups'");
    expect(stdout).toMatch(/^provisioned \{\s+plan: 'service-hostgroups',\s+steps: \[/m);
    expect(stdout.match(/outcome: 'done'/g)).toHaveLength(2);
  });

  it('reads the failure of a plan whose second step fails, with what was undone', async () => {
    const { stdout, stderr } = await provision([`svc-c-${suffix}`, `fail-svc-d-${suffix}`]);
    expect(stdout).toMatch(/^started nse-flow-plan-order-/m);
    expect(stdout).not.toContain('provisioned');
    expect(stderr).toMatch(/^ProvisioningFailed: .*hg2/m);
    // Every step's outcome in the details: the first one undone.
    expect(stderr).toMatch(/"id":"hg1","operation":"create-hostgroup","outcome":"compensated"/);
    expect(stderr).toMatch(/"id":"hg2","operation":"create-hostgroup","outcome":"failed"/);
  });

  it('reads the failure that startProvisioning throws when NSE refuses the first step', async () => {
    const existing = `svc-e-${suffix}`;
    await provision([existing]);
    // A host group of that name exists: NSE answers the create with 412, so no job, and nothing started to follow.
    const { stdout, stderr } = await provision([existing, `svc-f-${suffix}`]);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^ProvisioningFailed: plan service-hostgroups: step 'hg1' failed: .*412/m);
  });
});
