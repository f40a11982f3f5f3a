/**
 * Request rates at the simulator: how many API requests NSE saw in each second (for `GET /_sim/request-rate`, so a
 * benchmark can read the peak rate from NSE's side), and the sliding one-second windows of the `rateLimit` fault
 * (./rules.ts), which answers 429 above a configured rate.
 * @module
 */

/** The API requests that arrived in one second of the simulator's clock. */
export interface SecondCount {
  /** Start of the second, epoch ms. */
  at: number;
  /** Every API request that arrived, whatever it was answered. */
  requests: number;
  /** Those answered 429 (a `rateLimit` or `http429` fault). */
  tooMany: number;
}

/** What `GET /_sim/request-rate` answers: the seconds of a window that saw requests, oldest first. */
export interface RequestRateReport {
  from: number;
  to: number;
  seconds: SecondCount[];
  /** The second with the most requests (undefined when none arrived). */
  peak: SecondCount | undefined;
  requests: number;
  tooMany: number;
}

/** One hour of seconds: enough for any benchmark section, bounded for a simulator that runs for days. */
const KEPT_SECONDS = 3600;

/** Counts API requests per second of the simulator's clock; seconds older than an hour are forgotten. */
export class RequestRate {
  private readonly seconds = new Map<number, SecondCount>();

  /** Counts one request arriving at `now` (epoch ms); returns its second, to mark a 429 answer on. */
  arrived(now: number): SecondCount {
    const key = Math.floor(now / 1000);
    let second = this.seconds.get(key);
    if (!second) {
      second = { at: key * 1000, requests: 0, tooMany: 0 };
      this.seconds.set(key, second);
      // A Map iterates in insertion order and seconds arrive in order: the oldest are first.
      for (const old of this.seconds.keys()) {
        if (old > key - KEPT_SECONDS) break;
        this.seconds.delete(old);
      }
    }
    second.requests += 1;
    return second;
  }

  /** The seconds whose start lies in [from, to) (epoch ms), oldest first, with their peak and totals. */
  report(from = 0, to = Number.MAX_SAFE_INTEGER): RequestRateReport {
    const seconds = [...this.seconds.values()].filter((s) => s.at >= from && s.at < to).map((s) => ({ ...s }));
    let peak: SecondCount | undefined;
    for (const second of seconds) if (!peak || second.requests > peak.requests) peak = second;
    return {
      from,
      to,
      seconds,
      peak,
      requests: seconds.reduce((total, s) => total + s.requests, 0),
      tooMany: seconds.reduce((total, s) => total + s.tooMany, 0),
    };
  }

  reset(): void {
    this.seconds.clear();
  }
}

/**
 * Sliding one-second windows of admitted requests, one per `rateLimit` bucket: a request is admitted when fewer
 * than `perSecond` requests of its bucket were admitted in the last 1000 ms. Refused requests do not count, as a
 * server's limiter that answers 429 spends nothing on them.
 */
export class RateWindows {
  /** Admission times (epoch ms) per bucket, oldest first. */
  private readonly admitted = new Map<string, number[]>();

  /** True (and counted) when a request of `bucket` at `now` stays within `perSecond`; false when it must be refused. */
  admit(bucket: string, perSecond: number, now: number): boolean {
    let times = this.admitted.get(bucket);
    if (!times) this.admitted.set(bucket, (times = []));
    let expired = 0;
    while (expired < times.length && (times[expired] as number) <= now - 1000) expired += 1;
    if (expired > 0) times.splice(0, expired);
    if (times.length >= perSecond) return false;
    times.push(now);
    return true;
  }
}
