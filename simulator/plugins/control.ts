/**
 * The simulator's control endpoints under `/_sim` (not NSE, not recorded in the ledger): `GET /_sim/ledger`,
 * `GET|PUT /_sim/rules`, `GET /_sim/request-rate[?from=ms&to=ms]` (API requests per second, their peak and the 429s),
 * `POST /_sim/reset`. Rules decide what every caller sees and the ledger echoes every request,
 * so they are closed to all but an administrator of the simulator (a user without tenancies), with the same Basic
 * or Bearer credentials as the API: 401 without them, 403 for a tenancy-scoped user.
 * @module
 */
import type { FastifyPluginAsync } from 'fastify';
import { envelope } from '../http';
import type { Ledger } from '../job-store';
import type { RequestRateReport } from '../request-rate';
import { RulesError, type ParsedRule } from '../rules';
import type { AreaOptions } from '../routes';

/** Test and tooling access to a simulator without going through HTTP. */
export interface SimulatorControl {
  /** The in-memory state. */
  readonly store: AreaOptions['ctx']['store'];
  /** What `GET /_sim/ledger` answers. */
  ledger(): Ledger;
  /** The rules in force. */
  rules(): readonly ParsedRule[];
  /** Replaces the rules and restarts their fault counters; throws `RulesError` when a rule is invalid. */
  setRules(rules: unknown): void;
  /** API requests per second whose second starts in [from, to) (epoch ms; default all), as `GET /_sim/request-rate`. */
  requestRate(from?: number, to?: number): RequestRateReport;
  /** Forgets jobs, resources, the ledger and the request rate, and restores the start-up rules; fixtures and users stay. */
  reset(): void;
  /** Long polls currently waiting, so a test can synchronise with one without sleeping. */
  waitingLongPolls(): number;
}

export const controlPlugin: FastifyPluginAsync<AreaOptions & { control: SimulatorControl }> = async (
  scope,
  { ctx, control },
) => {
  scope.addHook('onRequest', async (request, reply) => {
    const auth = ctx.authenticate(request.headers.authorization);
    if (!auth.ok) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="NSE simulator control"')
        .send(
          envelope(401, 'Unauthorized.', `The simulator's control endpoints need its credentials. ${auth.reason}`, {}),
        );
    }
    if (auth.user.tenancies !== undefined) {
      return reply
        .code(403)
        .send(
          envelope(
            403,
            'Forbidden.',
            `User '${auth.user.username}' is scoped to tenancies; control needs an administrator.`,
            {},
          ),
        );
    }
  });
  scope.get('/ledger', async () => control.ledger());
  scope.get('/rules', async () => ({ rules: control.rules() }));
  scope.put('/rules', async (request, reply) => {
    try {
      control.setRules(request.body ?? []);
    } catch (err) {
      if (err instanceof RulesError) return reply.code(400).send(envelope(400, 'Invalid rules.', err.message, {}));
      throw err;
    }
    return { rules: control.rules() };
  });
  scope.get('/request-rate', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const bound = (name: string): number | undefined | null => {
      const text = query[name];
      if (text === undefined) return undefined;
      const ms = Number(text);
      return typeof text === 'string' && /^\d+$/.test(text) && Number.isSafeInteger(ms) ? ms : null;
    };
    const from = bound('from');
    const to = bound('to');
    if (from === null || to === null) {
      return reply
        .code(400)
        .send(envelope(400, 'Invalid request.', '`from` and `to` are epoch milliseconds (digits only).', {}));
    }
    return control.requestRate(from, to);
  });
  scope.post('/reset', async (_request, reply) => {
    control.reset();
    return reply.code(204).send();
  });
};
