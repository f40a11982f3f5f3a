/**
 * The simulator's `rateLimit` rule (429 with Retry-After above a rate, a sliding one-second window per bucket) and
 * its request counting per second (`GET /_sim/request-rate`), over HTTP. The simulator's clock is injected, so
 * seconds pass without waiting.
 */
import { NseClient } from '../../src/nse/client';
import { NseHttpError } from '../../src/nse/errors';
import type { SimRule } from '../../simulator/rules';
import { rethrowAsFailure } from '../../src/activities/nse-activities';
import { api, BASIC, build, closeAll, F, hostgroupBody, originOf, raw } from '../helpers/simulator-http';

afterEach(closeAll);

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 11, 3, 12, 0, 0)): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const zones = (app: ReturnType<typeof build>): Promise<number> =>
  api(app, 'GET', '/v2.1/zones').then((res) => res.status);

describe('rateLimit', () => {
  it('answers 429 with Retry-After above perSecond in any 1000 ms, unprocessed, and admits again as the window slides', async () => {
    const clock = manualClock();
    const app = build({ now: clock.now, rules: [{ faults: { rateLimit: { perSecond: 3, retryAfterSeconds: 2 } } }] });
    expect(await Promise.all([zones(app), zones(app), zones(app)])).toEqual([200, 200, 200]);
    const refused = await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-limited'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.json.status.verbose_message).toContain('3 requests per second');
    clock.advance(999);
    expect(await zones(app)).toBe(429); // the first three are still inside the window
    clock.advance(1);
    expect(await zones(app)).toBe(200);
    const ledger = app.sim.ledger();
    expect(ledger.events).toEqual([]); // the refused create made nothing
    expect(ledger.requests.map((r) => [r.status, r.fault])).toEqual([
      [200, undefined],
      [200, undefined],
      [200, undefined],
      [429, 'rateLimit'],
      [429, 'rateLimit'],
      [200, undefined],
    ]);
  });

  it('does not count refused requests, so a steady overload still gets perSecond answers each second', async () => {
    const clock = manualClock();
    const app = build({ now: clock.now, rules: [{ faults: { rateLimit: { perSecond: 2 } } }] });
    const admittedPerSecond: number[] = [];
    for (let second = 0; second < 3; second += 1) {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i += 1) {
        statuses.push(await zones(app));
        clock.advance(100);
      }
      admittedPerSecond.push(statuses.filter((s) => s === 200).length);
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    }
    expect(admittedPerSecond).toEqual([2, 2, 2]);
    const burst = [await api(app, 'GET', '/v2.1/zones'), await api(app, 'GET', '/v2.1/zones')];
    const limited = await api(app, 'GET', '/v2.1/zones');
    expect([...burst, limited].map((res) => res.status)).toEqual([200, 429, 429]);
    expect(limited.headers.get('retry-after')).toBe('1'); // the default
  });

  it('keeps one window per rule, and one shared window for rules that name the same bucket', async () => {
    const clock = manualClock();
    const separate: SimRule[] = [
      { match: { path: '/v2.1/zones' }, faults: { rateLimit: { perSecond: 1 } } },
      { match: { path: '/v2.1/regions' }, faults: { rateLimit: { perSecond: 1 } } },
    ];
    const apart = build({ now: clock.now, rules: separate });
    expect((await api(apart, 'GET', '/v2.1/zones')).status).toBe(200);
    expect((await api(apart, 'GET', '/v2.1/regions')).status).toBe(200);
    expect((await api(apart, 'GET', '/v2.1/regions')).status).toBe(429);

    const shared = build({
      now: clock.now,
      rules: separate.map((rule) => ({ ...rule, faults: { rateLimit: { perSecond: 1, bucket: 'nse' } } })),
    });
    expect((await api(shared, 'GET', '/v2.1/zones')).status).toBe(200);
    expect((await api(shared, 'GET', '/v2.1/regions')).status).toBe(429);
  });

  it('refuses a rateLimit without a positive perSecond, or with the counted-fault controls', async () => {
    const app = build();
    for (const rateLimit of [{}, { perSecond: 0 }, { perSecond: 2, times: 1 }]) {
      const res = await raw(app, 'PUT', '/_sim/rules', {
        headers: { authorization: BASIC },
        body: [{ faults: { rateLimit } }],
      });
      expect(res.statusCode).toBe(400);
    }
    expect(app.sim.rules()).toEqual([]);
  });

  it('is transient for the NSE client: a GET is retried after Retry-After, a submit fails retryable with the delay', async () => {
    const { username, password } = F.defaultUser;
    const clientOf = async (app: ReturnType<typeof build>): Promise<NseClient> =>
      new NseClient({
        baseUrl: `${await originOf(app)}/api`,
        auth: { kind: 'basic', username, password },
        getRetries: 3,
        getRetryBackoff: { initialMs: 10, maxMs: 20 },
      });
    // Real clock: two reads at once, one slot per second; the one refused waits Retry-After and is answered.
    const reads = build({ rules: [{ faults: { rateLimit: { perSecond: 1, retryAfterSeconds: 1 } } }] });
    const reader = await clientOf(reads);
    // A clock that stands still: the first call takes the only slot, so the submit is refused whatever the load.
    const submits = build({ now: () => 0, rules: [{ faults: { rateLimit: { perSecond: 1, retryAfterSeconds: 1 } } }] });
    const submitter = await clientOf(submits);
    try {
      await expect(Promise.all([reader.listJobs(), reader.listJobs()])).resolves.toHaveLength(2);
      expect(
        reads.sim
          .ledger()
          .requests.map((r) => r.status)
          .sort(),
      ).toEqual([200, 200, 429]);

      await submitter.listJobs();
      const err = await submitter.submit('POST', '/v2.1/hostgroups', hostgroupBody('hg-busy')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NseHttpError);
      expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 1000 });
      expect(submits.sim.ledger().events).toEqual([]);
      // The activity hands it to Temporal's retry policy as a retryable NseUnavailable after Retry-After.
      let failure: unknown;
      try {
        rethrowAsFailure(err);
      } catch (thrown) {
        failure = thrown;
      }
      expect(failure).toMatchObject({ type: 'NseUnavailable', nonRetryable: false, nextRetryDelay: 1000 });
    } finally {
      reader.close();
      submitter.close();
    }
  });
});

describe('request rate', () => {
  it('counts API requests and 429 answers per second of the simulator clock, with the peak, for an administrator', async () => {
    const clock = manualClock();
    const app = build({ now: clock.now, rules: [{ faults: { rateLimit: { perSecond: 3 } } }] });
    const t0 = clock.now();
    for (let i = 0; i < 5; i += 1) await zones(app); // 3 admitted, 2 refused
    clock.advance(1000);
    await zones(app);
    clock.advance(2000);
    await zones(app);
    await zones(app);
    await raw(app, 'GET', '/_sim/ledger', { headers: { authorization: BASIC } }); // control: not counted

    const all = (await raw(app, 'GET', '/_sim/request-rate', { headers: { authorization: BASIC } })).json();
    expect(all.seconds).toEqual([
      { at: t0, requests: 5, tooMany: 2 },
      { at: t0 + 1000, requests: 1, tooMany: 0 },
      { at: t0 + 3000, requests: 2, tooMany: 0 },
    ]);
    expect(all).toMatchObject({ peak: { at: t0, requests: 5 }, requests: 8, tooMany: 2 });

    const later = await raw(app, 'GET', `/_sim/request-rate?from=${t0 + 1000}&to=${t0 + 3000}`, {
      headers: { authorization: BASIC },
    });
    expect(later.json()).toMatchObject({ seconds: [{ at: t0 + 1000, requests: 1 }], peak: { requests: 1 } });
    expect(
      (await raw(app, 'GET', '/_sim/request-rate?from=soon', { headers: { authorization: BASIC } })).statusCode,
    ).toBe(400);
    app.sim.reset();
    expect(app.sim.requestRate()).toMatchObject({ seconds: [], peak: undefined, requests: 0 });
  });
});
