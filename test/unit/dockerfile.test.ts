/**
 * The image's install-script policy and pinned versions (issue #24 point 7), read from the Dockerfile and the lock:
 * no Docker engine is needed. Every `npm ci` skips dependencies' install scripts, Node and npm are exact versions,
 * and every package of the lock that has an install script is one reviewed below: a new one fails this test until
 * someone reads its script and says here (and in docs/security.md) why the image does without it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; hasInstallScript?: boolean }>;
};

/** Each package whose install script the image skips, and why nothing is lost (read at the versions in the lock). */
const REVIEWED_INSTALL_SCRIPTS: Record<string, string> = {
  '@swc/core':
    'postinstall checks that the prebuilt binary (an optional @swc/core-<platform> package) loads, and downloads ' +
    '@swc/wasm when it does not; the image loads @swc/core after npm ci instead, and fails the build if it cannot',
  '@grpc/proto-loader/node_modules/protobufjs':
    "postinstall only prints a warning when a dependent's version range uses another scheme",
  '@opentelemetry/otlp-transformer/node_modules/protobufjs': 'the same protobufjs 7.6.6 postinstall: a warning only',
  '@parcel/watcher': 'dev only (not in the runtime stage); install builds from source when no prebuilt binary fits',
  'unrs-resolver': 'dev only (the lint resolver); postinstall checks its prebuilt binary',
};

/** The Dockerfile's logical lines: continuation lines joined. */
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n');

describe('Dockerfile', () => {
  it('runs every npm ci with --ignore-scripts', () => {
    const installs = instructions.filter((line) => /\bnpm ci\b/.test(line));
    expect(installs.length).toBeGreaterThanOrEqual(2); // the build and the runtime stage
    for (const line of installs) expect(line).toMatch(/\bnpm ci\b[^&;]*--ignore-scripts/);
    // Nothing else installs packages with their scripts (npm install only for npm itself, scripts off).
    for (const line of instructions.filter((l) => /\bnpm (?:install|i|rebuild)\b/.test(l))) {
      expect(line).toMatch(/--ignore-scripts/);
    }
  });

  it('pins Node and npm to exact versions and checks them in the image', () => {
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=\d+\.\d+\.\d+$/m);
    expect(dockerfile).toMatch(/^ARG NPM_VERSION=\d+\.\d+\.\d+$/m);
    expect(dockerfile).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS base$/m);
    // Every stage starts from the checked base, directly or through an earlier stage that does.
    const stages = ['base'];
    for (const from of instructions.filter((l) => l.startsWith('FROM ')).slice(1)) {
      const [, parent, name] = /^FROM (\S+) AS (\S+)$/.exec(from) ?? [];
      expect({ from, parentKnown: stages.includes(parent ?? '') }).toEqual({ from, parentKnown: true });
      stages.push(name ?? '');
    }
    expect(dockerfile).toContain('test "$(node --version)" = "v${NODE_VERSION}"');
    expect(dockerfile).toContain('test "$(npm --version)" = "${NPM_VERSION}"');
    const engines = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } })
      .engines.node;
    const major = /^ARG NODE_VERSION=(\d+)\./m.exec(dockerfile)?.[1];
    expect(engines).toBe(`>=${major}`);
  });

  it('knows every dependency with an install script, and why the image does without it', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([where]) => where.replace(/^node_modules\//, ''))
      .sort();
    expect(withScripts).toEqual(Object.keys(REVIEWED_INSTALL_SCRIPTS).sort());
    // Native parts the image skipped scripts for are loaded once installed, so a missing binary fails the build.
    expect(dockerfile).toMatch(/npm ci --ignore-scripts[^\n]*\n[^\n]*require\('@swc\/core'\)/);
  });

  it('is described in docs/security.md', () => {
    const security = readFileSync(path.join(root, 'docs', 'security.md'), 'utf8');
    expect(security).toContain('--ignore-scripts');
    for (const name of Object.keys(REVIEWED_INSTALL_SCRIPTS)) expect(security).toContain(`\`${name}\``);
  });
});
