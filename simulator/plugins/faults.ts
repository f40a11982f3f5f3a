/**
 * Rules and faults as hooks (./rules.ts): a `preHandler` hook matches each API request with its rule (after
 * authentication, with the name and operation the route says it is about), answers 429 above the rule's
 * `rateLimit`, then injects the faults that answer instead of NSE (latency, 429, 500, a proxy's 302 to its login page, a firewall's HTML 403, a 400); an `onSend`
 * hook injects the faults that hit a processed 2xx answer (a dropped connection, a truncated body).
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { CallContext, SimContext } from '../context';
import { envelope } from '../http';
import { simRequest, type AreaOptions, type RouteConfig } from '../routes';

interface ForeignAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | object;
}

/** Waits `ms`, or until the simulator closes. */
function pause(ctx: SimContext, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      ctx.pauses.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms).unref();
    ctx.pauses.add(done);
  });
}

/** The answers that come from before NSE processes anything: its own 429 and 500, or what stands in front of it. */
function answerInstead(call: CallContext, url: string): ForeignAnswer | undefined {
  const tooMany = call.fire('http429');
  if (tooMany) {
    return {
      status: 429,
      headers: { 'retry-after': String(tooMany.retryAfterSeconds ?? 1) },
      body: envelope(429, 'Too many requests.', 'Simulated fault: http429.', {}),
    };
  }
  if (call.fire('http500')) {
    return { status: 500, headers: {}, body: envelope(500, 'Internal server error.', 'Simulated fault: http500.', {}) };
  }
  if (call.fire('http302Login')) {
    return {
      status: 302,
      headers: { location: `/login?next=${encodeURIComponent(url)}`, 'content-type': 'text/html; charset=utf-8' },
      body: '<html><head><title>Sign in</title></head><body><form action="/login" method="post">Session expired. Please sign in.</form></body></html>',
    };
  }
  if (call.fire('http403Html')) {
    return {
      status: 403,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: '<html><head><title>403 Forbidden</title></head><body><h1>Request blocked</h1><p>The web application firewall refused this request. Support ID: 4711</p></body></html>',
    };
  }
  if (call.fire('http400')) {
    return {
      status: 400,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: envelope(400, 'Invalid request.', 'Simulated fault: http400.', {}),
    };
  }
  return undefined;
}

/** The faults plugin; like the auth plugin it adds its hooks to the scope it is registered in. */
async function faultsPlugin(api: FastifyInstance, { ctx }: AreaOptions): Promise<void> {
  api.addHook('preHandler', async (request, reply) => {
    const config = request.routeOptions.config as RouteConfig;
    const req = simRequest(request);
    const about = config.about?.(req) ?? {};
    const ruleSet = ctx.rules;
    const matched = ruleSet.match({
      method: req.method,
      path: req.path,
      name: about.name,
      operation: about.operation ?? config.operation,
    });
    const entry = ctx.entries.get(request);
    const call: CallContext = {
      user: ctx.requestUsers.get(request),
      matched,
      name: about.name,
      fire: (kind) => {
        const fault = ruleSet.fire(matched, kind);
        if (fault && entry) entry.fault = entry.fault ? `${entry.fault},${kind}` : kind;
        if (fault) request.log.info({ fault: kind, rule: matched?.index }, 'simulated fault');
        return fault;
      },
    };
    ctx.calls.set(request, call);
    const limit = ruleSet.overRate(matched, ctx.now());
    if (limit) {
      if (entry) entry.fault = 'rateLimit';
      return reply
        .code(429)
        .header('retry-after', String(limit.retryAfterSeconds ?? 1))
        .send(envelope(429, 'Too many requests.', `Rate limit: ${limit.perSecond} requests per second.`, {}));
    }
    const latency = call.fire('latencyMs');
    if (latency) await pause(ctx, latency.ms);
    const instead = answerInstead(call, request.url);
    if (instead) return reply.code(instead.status).headers(instead.headers).send(instead.body);
  });

  api.addHook('onSend', async (request, reply, payload) => {
    const call = ctx.calls.get(request);
    if (!call || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    if (call.fire('dropAfterProcessing')) {
      const entry = ctx.entries.get(request);
      if (entry) entry.status = reply.statusCode;
      // The work is done and recorded; the client never learns it: an ambiguous submit.
      request.raw.socket.destroy();
      return payload;
    }
    if (call.fire('malformedJson')) {
      const text = typeof payload === 'string' ? payload : String(payload);
      return text.slice(0, Math.floor(text.length / 2));
    }
    return payload;
  });
}
(faultsPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export { faultsPlugin };
