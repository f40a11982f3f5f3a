/**
 * The simulator's control endpoints under `/_sim` (not NSE, not recorded in the ledger): `GET /_sim/ledger`,
 * `GET|PUT /_sim/rules`, `POST /_sim/reset`. Rules decide what every caller sees and the ledger echoes every request,
 * so they are closed to all but an administrator of the simulator (a user without tenancies), with the same Basic
 * or Bearer credentials as the API: 401 without them, 403 for a tenancy-scoped user.
 * @module
 */
import type { FastifyPluginAsync } from 'fastify';
import { envelope } from '../http';
import type { Ledger } from '../job-store';
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
  /** Forgets jobs, resources and the ledger, and restores the start-up rules; fixtures and users stay. */
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
  scope.post('/reset', async (_request, reply) => {
    control.reset();
    return reply.code(204).send();
  });
};
