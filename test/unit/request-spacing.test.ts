/**
 * RequestSpacing on Jest's fake clock: turns come in the order asked, each at least the spacing after the one before,
 * so no one-second window holds more than the rate; an idle spacing lets the next request go at once.
 */
import { RequestSpacing } from '../../src/nse/request-spacing';

describe('RequestSpacing', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('starts a backlog one spacing apart, in order, never more than the rate in a second', async () => {
    const spacing = new RequestSpacing(4); // 250 ms apart
    const starts: Array<[number, number]> = [];
    const turns = Array.from({ length: 9 }, (_, i) => spacing.turn().then(() => starts.push([i, Date.now()])));
    await jest.advanceTimersByTimeAsync(3_000);
    await Promise.all(turns);
    expect(starts.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const times = starts.map(([, at]) => at - 1_000_000);
    expect(times).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
    const perWindow = times.map((at) => times.filter((t) => t >= at && t < at + 1000).length);
    expect(Math.max(...perWindow)).toBe(4);
  });

  it('lets a request go at once after a quiet spell, and spaces the next from it', async () => {
    const spacing = new RequestSpacing(10);
    await spacing.turn();
    await jest.advanceTimersByTimeAsync(5_000);
    const before = Date.now();
    await spacing.turn();
    expect(Date.now()).toBe(before);
    let second = false;
    const next = spacing.turn().then(() => (second = true));
    await jest.advanceTimersByTimeAsync(99);
    expect(second).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await next;
    expect(Date.now()).toBe(before + 100);
  });

  it('lets a cancelled caller go at once, its turn passing unused, the others in order', async () => {
    const spacing = new RequestSpacing(10);
    await spacing.turn();
    const cancel = new AbortController();
    const order: string[] = [];
    const cancelled = spacing.turn(cancel.signal).then(
      () => order.push('cancelled went'),
      (err: unknown) => order.push(`cancelled: ${(err as Error).message}`),
    );
    const next = spacing.turn().then(() => order.push('next'));
    cancel.abort(new Error('activity cancelled'));
    await cancelled;
    expect(order).toEqual(['cancelled: activity cancelled']);
    await jest.advanceTimersByTimeAsync(200);
    await next;
    expect(order).toEqual(['cancelled: activity cancelled', 'next']);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a rate of %p', (rate) => {
    expect(() => new RequestSpacing(rate)).toThrow(RangeError);
  });
});
