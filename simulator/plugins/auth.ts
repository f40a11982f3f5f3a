/**
 * Authentication (nse-api.md §2): an `onRequest` hook that refuses every API request without valid Basic or Bearer
 * credentials with a 401 envelope (routes marked `public` excepted), and the sign-in and refresh routes.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { SimContext, UserRecord } from '../context';
import { TENANTS } from '../fixtures';
import { envelope, parse, SimHttpError, type Answer } from '../http';
import { signJwt } from '../jwt';
import * as schemas from '../request-schemas';
import { addRoutes, type AreaOptions, type RouteConfig } from '../routes';

function tokenAnswer(ctx: SimContext, user: UserRecord): Answer {
  const token = signJwt(
    { username: user.username, exp: Math.floor(ctx.now() / 1000) + ctx.tokenTtlSeconds },
    ctx.secret,
  );
  const tenancies = TENANTS.filter((t) => user.tenancies?.includes(t.id) ?? true).map((t) => ({
    id: t.id,
    name: t.name,
    code: t.code,
    role: user.tenancies ? 'user' : 'admin',
  }));
  const record = {
    user: {
      id: user.id,
      username: user.username,
      firstName: user.username,
      lastName: 'Simulated',
      displayName: user.username,
      email: `${user.username}@nse-simulator.invalid`,
      tenancies,
    },
    token,
  };
  return {
    status: 200,
    body: envelope(200, 'Authentication succeeded.', '', { total_records: 1, records: [record] }),
  };
}

/**
 * The auth plugin. It adds its hook to the scope it is registered in (it skips fastify's encapsulation, as
 * fastify-plugin would), so every API route of that scope is covered.
 */
async function authPlugin(api: FastifyInstance, { ctx }: AreaOptions): Promise<void> {
  api.addHook('onRequest', async (request, reply) => {
    if ((request.routeOptions.config as RouteConfig).public) return;
    const auth = ctx.authenticate(request.headers.authorization);
    if (!auth.ok) {
      return reply
        .code(401)
        .headers({ 'www-authenticate': 'Basic realm="NSE simulator", Bearer' })
        .send(envelope(401, 'Unauthorized.', auth.reason, {}));
    }
    ctx.requestUsers.set(request, auth.user);
  });

  addRoutes(api, ctx, [
    {
      method: 'POST',
      url: '/v2.1/auth/signin',
      public: true,
      handle: (req) => {
        const credentials = parse(schemas.Signin, req.body);
        const user = ctx.users.get(credentials.username);
        if (!user || !ctx.samePassword(user.password, credentials.password)) {
          throw new SimHttpError(401, 'Unauthorized.', 'Invalid username or password.');
        }
        return tokenAnswer(ctx, user);
      },
    },
    {
      method: 'POST',
      url: '/v2.1/auth/refresh',
      handle: (req, call) => {
        if (!req.authorization?.toLowerCase().startsWith('bearer ') || !call.user) {
          throw new SimHttpError(401, 'Unauthorized.', 'Refreshing needs a valid Bearer token.');
        }
        return tokenAnswer(ctx, call.user);
      },
    },
  ]);
}
(authPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export { authPlugin };
