/**
 * The NSE simulator: a fastify app serving NSE REST API v2.1 under `/api` (nse-api.md §2-8, §11) from in-memory
 * state, scripted by rules (./rules.ts), plus control endpoints under `/_sim` for tests. It simulates the server on
 * its own and never imports the client's catalogue, so a client bug is caught instead of mirrored.
 *
 * It is built from fastify plugins, one per area: auth (an `onRequest` hook and sign-in), faults (rule matching and
 * injected faults and latency as `preHandler` and `onSend` hooks), jobs, admin (seeded tenants, zones, ...),
 * block, file, object storage, and `/_sim` control. Errors thrown by handlers go through `setErrorHandler`.
 *
 * Every `/api` answer uses NSE's envelope `{ status: { user_message, verbose_message, code }, result }` with
 * `code` equal to the HTTP status; errors carry `result: {}`. The exceptions are the `http302Login` and
 * `http403Html` faults, which answer as a proxy or a firewall in front of NSE would (HTML).
 *
 * What tests and chaos can select: job shapes, texts, outcomes and faults by rule (`jobShape`, `outcome`,
 * `states`, `faults`; see ./rules.ts); users scoped to their tenancies (`SimUser.tenancies`, default users in
 * ./fixtures.ts), who get 403 on another tenant's jobs, resources and subtenants; inline host groups of a disk,
 * created as their own objects and tasks of the disk's job; nameless creates (block store per subtenant and zone,
 * object storage account per subtenant) answering 412 to a second one.
 * @module
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { limitedServerOptions } from '../src/server-limits';
import { createContext, type SimulatorOptions } from './context';
import { apiPath, envelope, publicFields, SimHttpError } from './http';
import { adminPlugin } from './plugins/admin';
import { authPlugin } from './plugins/auth';
import { blockPlugin } from './plugins/block';
import { controlPlugin, type SimulatorControl } from './plugins/control';
import { faultsPlugin } from './plugins/faults';
import { filePlugin } from './plugins/file';
import { jobsPlugin } from './plugins/jobs';
import { objectStoragePlugin } from './plugins/object-storage';
import type { SecondCount } from './request-rate';
import { RuleSet } from './rules';

export type { SimulatorOptions } from './context';
export type { SimulatorControl } from './plugins/control';

/** A fastify instance serving the simulator, with its {@link SimulatorControl} as `sim`. */
export type SimulatorApp = FastifyInstance & { readonly sim: SimulatorControl };

const isApiUrl = (url: string): boolean => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');

/**
 * Builds the simulator app; it is not listening yet (use `listen`, or `inject` in tests). Throws `RulesError` when
 * `options.rules` is invalid.
 */
export function buildSimulator(options: SimulatorOptions = {}): SimulatorApp {
  const ctx = createContext(options);
  const limits = limitedServerOptions(options.limits);
  const app: FastifyInstance = options.logger
    ? Fastify({ ...limits, loggerInstance: options.logger })
    : Fastify({ ...limits, logger: false });
  ctx.log = app.log;

  // An empty body is no body (clients often send a JSON content type on DELETE); bad JSON is a 400 envelope.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = typeof text === 'string' ? text : text.toString('utf8');
    if (source.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(source));
    } catch {
      done(
        new SimHttpError(400, 'Invalid request: the body is not valid JSON.', 'Could not parse the JSON request body.'),
        undefined,
      );
    }
  });

  // The ledger records every API request, unknown routes included, its body and the status it was answered with; the
  // request rate counts them per second, and the 429s among them.
  const arrivals = new WeakMap<FastifyRequest, SecondCount>();
  app.addHook('onRequest', async (request) => {
    if (!isApiUrl(request.url)) return;
    arrivals.set(request, ctx.requestRate.arrived(ctx.now()));
    const query = Object.fromEntries(
      Object.entries(request.query as Record<string, unknown>).map(([k, v]) => [
        k,
        Array.isArray(v) ? v.map(String) : String(v),
      ]),
    );
    const traceparent = request.headers.traceparent;
    const entry = ctx.store.recordRequest(request.method, apiPath(request.url), query, traceparent?.toString());
    ctx.entries.set(request, entry);
  });
  // A request for no route is answered before its body is read (fastify's not-found handler would read it first).
  const noRoute = (request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(404)
      .send(envelope(404, 'Resource not found.', `No route for ${request.method} ${apiPath(request.url)}.`, {}));
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === undefined) return noRoute(request, reply);
  });
  app.addHook('preHandler', async (request) => {
    const entry = ctx.entries.get(request);
    const body: unknown = request.body;
    if (!entry || body === undefined) return;
    entry.body =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? publicFields(body as Record<string, unknown>)
        : body;
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = ctx.entries.get(request);
    if (entry && entry.status === 0) entry.status = reply.statusCode;
    const second = arrivals.get(request);
    if (second && reply.statusCode === 429) second.tooMany += 1;
  });
  // End every long poll and injected delay first, so close() never waits on them and no timer outlives the app.
  app.addHook('preClose', async () => {
    for (const finish of [...ctx.longPolls, ...ctx.pauses]) finish();
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof SimHttpError) {
      return reply.code(error.status).send(envelope(error.status, error.userMessage, error.verbose, {}));
    }
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'simulator error');
    const message = status >= 500 ? 'Internal server error.' : 'Invalid request.';
    return reply.code(status).send(envelope(status, message, error.message, {}));
  });
  app.setNotFoundHandler(noRoute);

  // The API: the auth and faults plugins hook into this scope, so they cover every area plugin registered in it.
  void app.register(
    async (api) => {
      await api.register(authPlugin, { ctx });
      await api.register(faultsPlugin, { ctx });
      for (const area of [jobsPlugin, adminPlugin, blockPlugin, filePlugin, objectStoragePlugin]) {
        await api.register(area, { ctx });
      }
    },
    { prefix: '/api' },
  );

  const control: SimulatorControl = {
    store: ctx.store,
    ledger: () => ctx.store.ledger(),
    rules: () => ctx.rules.rules,
    setRules: (input) => {
      ctx.rules = new RuleSet(input);
    },
    requestRate: (from, to) => ctx.requestRate.report(from, to),
    reset: () => {
      ctx.store.reset();
      ctx.requestRate.reset();
      ctx.rules = new RuleSet(ctx.startupRules);
    },
    waitingLongPolls: () => ctx.longPolls.size,
  };
  void app.register(controlPlugin, { ctx, control, prefix: '/_sim' });

  app.decorate('sim', control);
  return app as SimulatorApp;
}
