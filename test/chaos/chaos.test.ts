/**
 * The chaos suite, small and seeded, in `npm test`: the same library function as `npm run chaos`, on its own dev
 * server (it restarts it), its own simulator and a worker child process it kills. Every fault kind fires at least
 * once and every invariant holds. Plus a positive control of the leak scanner, so "0 leaks" means something.
 */
import { runChaos, stopAllChaosStacks, type ChaosReport } from '../../chaos/chaos';
import { formatReport } from '../../chaos/report';
import { chaosSecrets, scanLines, scanValue } from '../../chaos/secrets';
import { SIM_FIXTURES } from '../../simulator/fixtures';

const SEED = 20261123;
const RUNS = 20;

describe('chaos suite', () => {
  let report: ChaosReport | undefined;
  let running: Promise<ChaosReport> | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    report = await (running = runChaos({
      workflows: RUNS,
      seed: SEED,
      concurrency: RUNS,
      workflowBundle: process.env.TEMPORAL_TEST_BUNDLE,
      log: (line) => lines.push(line),
    }));
  }, 300_000);
  afterAll(async () => {
    // Normally already stopped by runChaos. When the hook above timed out, the run goes on: stopping its stack closes
    // its client and ends its retry loops, and the run's end is awaited here, so no call on the closed client (gRPC's
    // "Channel has been shut down") outlives the file and no rejection goes unhandled.
    await stopAllChaosStacks();
    await running?.catch(() => undefined);
  });

  function figures(): ChaosReport {
    if (!report) throw new Error(`the chaos run did not complete:\n${lines.join('\n')}`);
    return report;
  }

  it(`ends all ${RUNS} runs with the outcome their scenario implies and breaks no invariant`, () => {
    const r = figures();
    expect(r.runs).toHaveLength(RUNS);
    if (r.violations.length > 0) process.stdout.write(`${formatReport(r)}\n${lines.join('\n')}\n`);
    expect(r.violations).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(r.leaks).toEqual([]);
    for (const { actual, expected } of Object.values(r.outcomes)) expect(actual).toBe(expected);
  });

  it('mixes outcomes: successes, undone failures, a failed plan and a cancellation', () => {
    const outcomes = figures().outcomes;
    for (const outcome of ['success', 'NseJobFailed', 'ProvisioningFailed', 'Cancelled']) {
      expect(outcomes[outcome]?.actual ?? 0).toBeGreaterThan(0);
    }
  });

  it('injected every fault kind at least once', () => {
    const r = figures();
    const fired: Record<string, number> = {
      ...r.simFaults,
      ...Object.fromEntries(Object.entries(r.kills).map(([moment, n]) => [`worker kill: ${moment}`, n])),
      'server restart': r.serverRestarts,
      'token expiry': r.tokenExpiries,
      // An expired token was refused, and the worker signed in again.
      '401 answer': r.auth.unauthorized,
      'ambiguous submit adopted': r.adoptions,
    };
    const kinds = [
      'http500',
      'http429',
      'latencyMs (submit, slow)',
      'latencyMs (read, beyond timeout)',
      'dropAfterProcessing',
      'malformedJson',
      'unknownState',
      'vanishAfterTerminal',
      'worker kill: submit',
      'worker kill: between-polls',
      'worker kill: compensation',
      'server restart',
      'token expiry',
      '401 answer',
      'ambiguous submit adopted',
    ];
    expect(Object.fromEntries(kinds.map((k) => [k, (fired[k] ?? 0) > 0]))).toEqual(
      Object.fromEntries(kinds.map((k) => [k, true])),
    );
  });

  it('gave the worker secrets to leak: issued tokens and job answers with credentials', () => {
    const r = figures();
    expect(r.auth.tokensIssued).toBeGreaterThan(1);
    expect(r.jobReadsWithCredentials).toBeGreaterThan(0);
    expect(r.scanned.executions).toBeGreaterThan(RUNS);
    expect(r.scanned.logLines).toBeGreaterThan(0);
  });
});

describe('leak scanner', () => {
  const secrets = chaosSecrets('svc', 'pa55-word', [
    'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VybmFtZSI6InN2YyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
  ]);
  const jwt =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwIjoxfQ.abcdefghijklmnopqrstuvwxyz012345';

  it('finds each kind of secret inside payload bytes, plain strings and keys', () => {
    const payload = (text: string) => ({
      metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) },
      data: new Uint8Array(Buffer.from(text)),
    });
    const history = {
      events: [
        {
          input: {
            payloads: [
              payload(JSON.stringify({ request_payload: { org_password: SIM_FIXTURES.fakeSecrets.orgPassword } })),
            ],
          },
        },
        { failure: { message: `auth failed for pa55-word` } },
        { result: { payloads: [payload(`{"token":"${jwt}"}`)] } },
        { [SIM_FIXTURES.fakeSecrets.adminPassword]: true },
      ],
    };
    expect(
      scanValue(history, 'h', secrets)
        .map((l) => l.secret)
        .sort(),
    ).toEqual(['JWT-shaped string', 'NSE password', 'request_payload admin_password', 'request_payload org_password']);
  });

  it('reports the line of a log file that holds a secret, and nothing for a clean one', () => {
    const basic = Buffer.from('svc:pa55-word').toString('base64');
    expect(scanLines(`{"msg":"ok"}\n{"authorization":"Basic ${basic}"}\n`, 'worker.log', secrets)).toEqual([
      { where: 'worker.log line 2', secret: 'NSE Basic credentials' },
    ]);
    expect(scanLines('{"msg":"worker started","password":"[redacted]"}\n', 'worker.log', secrets)).toEqual([]);
  });
});
