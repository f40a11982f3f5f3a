/**
 * What every plugin of one simulator shares: its options, users, rules, store, the call each request is served for,
 * and the look-ups that answer 403 (tenancy) or 404 (missing) or 412 (duplicate name).
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { ServerLimits } from '../src/server-limits';
import { FAMILIES } from './families';
import { findSubtenant, findZone, SIM_FIXTURES, type SimSubtenant, type SimUser } from './fixtures';
import { notFound, precondition, SimHttpError } from './http';
import { JobStore, type LedgerRequest, type ResourceType, type SimResource } from './job-store';
import { verifyJwt } from './jwt';
import { RequestRate } from './request-rate';
import { RuleSet, type FaultKind, type MatchedRule, type ParsedRule, type SimRule } from './rules';

/** Options of `buildSimulator`. */
export interface SimulatorOptions {
  /**
   * Accepted users; default {@link SIM_FIXTURES}.defaultUser (every tenant), `.tenantUser` (Acme only) and
   * `.otherTenantUser` (Globex only).
   */
  users?: readonly SimUser[];
  /** Rules in force at start and after `POST /_sim/reset`; validated, so a bad rule throws `RulesError`. */
  rules?: readonly SimRule[];
  /** Lifetime of tokens from `/v2.1/auth/signin` and `/refresh`, in seconds; default 3600. */
  tokenTtlSeconds?: number;
  /** HS256 secret of the tokens; default random per simulator. */
  jwtSecret?: string;
  /** pino logger (fastify's `loggerInstance`); default silent. Credentials are never logged. */
  logger?: FastifyBaseLogger;
  /** Clock in ms; tests inject one to expire tokens and move wall-clock jobs without waiting. Default `Date.now`. */
  now?: () => number;
  /** Request timeouts and the largest body; see src/server-limits.ts. */
  limits?: Partial<ServerLimits>;
}

/** A configured user with its id. */
export interface UserRecord extends SimUser {
  id: string;
}

/** What one API request is served for: its user, the rule it matched and how to fire that rule's faults. */
export interface CallContext {
  user: UserRecord | undefined;
  matched: MatchedRule | undefined;
  /** The name the request was matched with; a job created by the request keeps it for its reads. */
  name: string | undefined;
  fire<K extends FaultKind>(kind: K): NonNullable<ParsedRule['faults']>[K] | undefined;
}

/** The outcome of checking an `Authorization` header. */
export type Authentication = { ok: true; user: UserRecord } | { ok: false; reason: string };

/** The state and helpers of one simulator, shared by its plugins. */
export interface SimContext {
  readonly now: () => number;
  readonly tokenTtlSeconds: number;
  readonly secret: string;
  readonly users: ReadonlyMap<string, UserRecord>;
  readonly startupRules: readonly SimRule[];
  /** The rules in force; replaced whole by `PUT /_sim/rules` and reset. */
  rules: RuleSet;
  readonly store: JobStore;
  /** API requests per second, for `GET /_sim/request-rate`. */
  readonly requestRate: RequestRate;
  /** Ends of the long polls and injected delays in progress, so close() can end them all. */
  readonly longPolls: Set<() => void>;
  readonly pauses: Set<() => void>;
  /** The ledger entry and the call of each API request. */
  readonly entries: WeakMap<FastifyRequest, LedgerRequest>;
  readonly calls: WeakMap<FastifyRequest, CallContext>;
  /** The user the auth hook found for each API request. */
  readonly requestUsers: WeakMap<FastifyRequest, UserRecord>;
  /** The call a handler runs for, so look-ups deep in a handler can check the user's tenancies. */
  readonly currentCall: AsyncLocalStorage<CallContext>;
  /** fastify's logger, set once the app exists. */
  log: FastifyBaseLogger | undefined;
  authenticate(header: string | undefined): Authentication;
  samePassword(expected: string, given: string): boolean;
  /** True when the user of the current call may see tenant `tenantId`'s things. */
  inTenancy(tenantId: string): boolean;
  /** Answers 403 when the user of the current call has no tenancy in `tenantId`. */
  requireTenancy(tenantId: string, what: string): void;
  requireSubtenant(id: string): SimSubtenant;
  requireZone(name: string): void;
  requireResource(type: ResourceType, id: string): SimResource;
  /** Answers 412 when a live resource of `type` named `name` exists in `scope`. */
  requireUnique(type: ResourceType, name: string, scope: (r: SimResource) => boolean, where: string): void;
}

/** `text` with its first letter upper-case. */
function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function samePassword(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Builds the shared state of a simulator; throws `RulesError` when `options.rules` is invalid. */
export function createContext(options: SimulatorOptions): SimContext {
  const now = options.now ?? Date.now;
  const secret = options.jwtSecret ?? randomBytes(32).toString('hex');
  const users = new Map<string, UserRecord>(
    (options.users ?? [SIM_FIXTURES.defaultUser, SIM_FIXTURES.tenantUser, SIM_FIXTURES.otherTenantUser]).map((u) => [
      u.username,
      { ...u, id: createHash('sha1').update(`user:${u.username}`).digest('hex').slice(0, 24) },
    ]),
  );
  if (users.size === 0) throw new Error('the simulator needs at least one user');
  const startupRules = options.rules ?? [];
  const store = new JobStore(now);
  const currentCall = new AsyncLocalStorage<CallContext>();

  const ctx: SimContext = {
    now,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    secret,
    users,
    startupRules,
    rules: new RuleSet(startupRules),
    store,
    requestRate: new RequestRate(),
    longPolls: new Set(),
    pauses: new Set(),
    entries: new WeakMap(),
    calls: new WeakMap(),
    requestUsers: new WeakMap(),
    currentCall,
    log: undefined,
    samePassword,

    authenticate(header) {
      if (!header) return { ok: false, reason: 'Missing Authorization header (Basic or Bearer).' };
      const [scheme, credentials = ''] = header.split(' ', 2);
      if (scheme?.toLowerCase() === 'basic') {
        const decoded = Buffer.from(credentials, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const user = colon > 0 ? users.get(decoded.slice(0, colon)) : undefined;
        if (!user || !samePassword(user.password, decoded.slice(colon + 1))) {
          return { ok: false, reason: 'Invalid username or password.' };
        }
        return { ok: true, user };
      }
      if (scheme?.toLowerCase() === 'bearer') {
        const verified = verifyJwt(credentials, secret, Math.floor(now() / 1000));
        if (!verified.ok)
          return { ok: false, reason: verified.reason === 'expired' ? 'Token expired.' : 'Invalid token.' };
        const user = users.get(verified.payload.username);
        return user ? { ok: true, user } : { ok: false, reason: 'Invalid token.' };
      }
      return { ok: false, reason: 'Unsupported authorization scheme.' };
    },

    inTenancy(tenantId) {
      return currentCall.getStore()?.user?.tenancies?.includes(tenantId) ?? true;
    },

    requireTenancy(tenantId, what) {
      if (ctx.inTenancy(tenantId)) return;
      const username = currentCall.getStore()?.user?.username ?? '';
      throw new SimHttpError(403, 'Forbidden.', `User '${username}' may not access ${what} of tenant '${tenantId}'.`);
    },

    requireSubtenant(id) {
      const subtenant = findSubtenant(id);
      if (!subtenant) throw notFound(`Subtenant '${id}'`);
      ctx.requireTenancy(subtenant.tenant_id, `subtenant '${id}'`);
      return subtenant;
    },

    requireZone(name) {
      if (!findZone(name)) throw notFound(`Zone '${name}'`);
    },

    requireResource(type, id) {
      const resource = store.getResource(id, type);
      if (!resource) throw notFound(`${capitalise(FAMILIES[type].label)} '${id}'`);
      ctx.requireTenancy(resource.tenantId, `${FAMILIES[type].label} '${id}'`);
      return resource;
    },

    requireUnique(type, name, scope, where) {
      if (store.liveResources((r) => r.type === type && r.name === name && scope(r)).length > 0) {
        throw precondition(`A ${FAMILIES[type].label} named '${name}' already exists ${where}.`);
      }
    },
  };
  return ctx;
}
