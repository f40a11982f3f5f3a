/**
 * How the area plugins declare their routes: an {@link ApiRoute} is a fastify route whose `config` tells the hooks
 * what rules match it on (its operation and what it is about), and whose handler returns an {@link Answer}. Also the
 * route builders every resource family shares (create, update, delete, snapshots, collection and by-id reads).
 * @module
 */
import type { FastifyInstance, FastifyRequest, FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { CallContext, SimContext } from './context';
import { FAMILIES, RESOURCE_SORT_KEYS } from './families';
import { apiPath, filtered, notFound, one, page, parse, str, type Answer, type SimRequest } from './http';
import type { ResourceType, SimResource } from './job-store';
import * as schemas from './request-schemas';
import { submitCreate, submitDelete, submitSnapshot, submitUpdate, type NewResource } from './submit';

/** What rules match a request on, besides method and path. */
type About = (req: SimRequest) => { name?: string | undefined; operation?: string | undefined };

/** The `config` of every API route, read by the auth and fault hooks. */
export interface RouteConfig {
  /** No authentication (sign-in). */
  public?: boolean;
  /** Catalogue-style operation name of an async call. */
  operation?: string;
  about?: About;
}

/** One API route of an area plugin. */
export interface ApiRoute extends RouteConfig {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under `/api`, fastify syntax. */
  url: string;
  handle: (req: SimRequest, call: CallContext) => Answer | Promise<Answer>;
}

/** The options every area plugin is registered with. */
export interface AreaOptions {
  ctx: SimContext;
}

/** An area plugin: the routes of one part of the API. */
export type AreaPlugin = FastifyPluginAsync<AreaOptions>;

/** The parts of a fastify request the handlers read. */
export function simRequest(request: FastifyRequest): SimRequest {
  return {
    method: request.method,
    path: apiPath(request.url),
    params: request.params as Record<string, string>,
    query: request.query as SimRequest['query'],
    body: request.body,
    authorization: request.headers.authorization,
  };
}

/** Registers `routes` in `scope`; each handler runs inside its call, so look-ups can check tenancies. */
export function addRoutes(scope: FastifyInstance, ctx: SimContext, routes: readonly ApiRoute[]): void {
  for (const route of routes) {
    const config: RouteConfig = { public: route.public, operation: route.operation, about: route.about };
    scope.route({
      method: route.method,
      url: route.url,
      config,
      handler: async (request, reply) => {
        const call = ctx.calls.get(request);
        if (!call) throw new Error(`no call context for ${request.method} ${request.url}`);
        const answer = await ctx.currentCall.run(call, () => route.handle(simRequest(request), call));
        return reply
          .code(answer.status)
          .headers(answer.headers ?? {})
          .send(answer.body);
      },
    });
  }
}

/** The name a request body gives: `name`, `display_name` or `alias`. */
function bodyName(req: SimRequest): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  return str(body.name) ?? str(body.display_name) ?? str(body.alias);
}

export const aboutBody: About = (req) => ({ name: bodyName(req) });
/** For calls whose body names nothing: account calls, and a block store create (NSE names the store). */
export const aboutNoName: About = () => ({ name: undefined });

/** About the body's name, or the name of the resource of the path's `:id`. */
function aboutTarget(ctx: SimContext): About {
  return (req) => ({ name: bodyName(req) ?? ctx.store.getResource(req.params.id ?? '')?.name });
}

/** The resource of the path's `:id`, or a 404 (403 outside the user's tenancies). */
export function target(ctx: SimContext, type: ResourceType, req: SimRequest): SimResource {
  return ctx.requireResource(type, req.params.id ?? '');
}

/** Uniqueness scopes of `requireUnique`: the arguments after the name. */
export const inZone = (subtenantId: string, zone: string | undefined) =>
  [(r: SimResource) => r.subtenantId === subtenantId && r.zone === zone, `in zone '${zone ?? ''}'`] as const;
export const inSubtenant = (subtenantId: string) =>
  [(r: SimResource) => r.subtenantId === subtenantId, `in subtenant '${subtenantId}'`] as const;

/** A clone's source (a disk or a file share) and, when named, its snapshot must exist. */
export function requireCloneSource(
  ctx: SimContext,
  type: 'disk' | 'fileshare',
  id: string | undefined,
  snapshot: string | undefined,
): void {
  if (id === undefined) return;
  const source = ctx.requireResource(type, id);
  if (snapshot !== undefined && !source.snapshots.some((s) => s.name === snapshot)) {
    throw notFound(`Snapshot '${snapshot}' of ${FAMILIES[type].label} '${source.id}'`);
  }
}

/** `POST` to a family's collection: the body validated by `schema`, checked and shaped by `prepare`, created. */
export function createRoute<S extends z.ZodType>(
  ctx: SimContext,
  type: ResourceType,
  schema: S,
  about: About,
  prepare: (input: z.output<S>) => Omit<NewResource, 'operation' | 'family'>,
): ApiRoute {
  const operation = `create-${type}`;
  return {
    method: 'POST',
    url: FAMILIES[type].collection,
    operation,
    about,
    handle: (req, call) =>
      submitCreate(ctx, call, { operation, family: FAMILIES[type], ...prepare(parse(schema, req.body)) }),
  };
}

/** `PUT` of one resource: the body validated by `schema`, then `check`ed against the resource; `fateName` as in rules. */
export function updateRoute<S extends z.ZodType<Record<string, unknown>>>(
  ctx: SimContext,
  type: ResourceType,
  schema: S,
  options: {
    about?: About;
    check?: (resource: SimResource, input: z.output<S>) => void;
    fateName?: (input: z.output<S>) => string | undefined;
  } = {},
): ApiRoute {
  const operation = `update-${type}`;
  return {
    method: 'PUT',
    url: `${FAMILIES[type].collection}/:id`,
    operation,
    about: options.about ?? aboutTarget(ctx),
    handle: (req, call) => {
      const resource = target(ctx, type, req);
      const input = parse(schema, req.body);
      options.check?.(resource, input);
      return submitUpdate(ctx, call, operation, resource, input, options.fateName?.(input));
    },
  };
}

/** `DELETE` of one resource, refused by `guard` while something still depends on it. */
export function deleteRoute(
  ctx: SimContext,
  type: ResourceType,
  options: { about?: About; guard?: (resource: SimResource) => void } = {},
): ApiRoute {
  const operation = `delete-${type}`;
  return {
    method: 'DELETE',
    url: `${FAMILIES[type].collection}/:id`,
    operation,
    about: options.about ?? aboutTarget(ctx),
    handle: (req, call) => {
      const resource = target(ctx, type, req);
      options.guard?.(resource);
      return submitDelete(ctx, call, operation, resource);
    },
  };
}

/** Create and delete of a disk's or a share's snapshots: the same two calls for both (§7.1, §7.2). */
export function snapshotRoutes(ctx: SimContext, kind: 'disk' | 'fileshare'): ApiRoute[] {
  const url = `${FAMILIES[kind].collection}/:id/snapshot/:name`;
  const about: About = (req) => ({ name: req.params.name });
  return (['create', 'delete'] as const).map((action) => ({
    method: action === 'create' ? 'POST' : 'DELETE',
    url,
    operation: `${action}-${kind}-snapshot`,
    about,
    handle: (req, call) => {
      const parent = target(ctx, kind, req);
      const input = action === 'create' ? parse(schemas.SnapshotCreate, req.body) : {};
      return submitSnapshot(ctx, call, `${action}-${kind}-snapshot`, parent, req.params.name ?? '', action, input);
    },
  }));
}

/** Collection and by-id reads of a resource family, limited to the user's tenancies. */
export function readRoutes(ctx: SimContext, type: ResourceType): ApiRoute[] {
  const family = FAMILIES[type];
  return [
    {
      method: 'GET',
      url: family.collection,
      handle: (req) => {
        ctx.store.allJobs(); // brings wall-clock jobs, and so their resources, up to date
        const items = ctx.store
          .liveResources((r) => r.type === type && ctx.inTenancy(r.tenantId))
          .map((r) => ctx.store.renderResource(r));
        return page(
          filtered(items, req.query, ['tenant_id', 'subtenant_id', 'zone', 'name', 'state']),
          req.query,
          RESOURCE_SORT_KEYS,
          { sortBy: 'created', orderBy: 'desc' },
        );
      },
    },
    {
      method: 'GET',
      url: `${family.collection}/:id`,
      about: aboutTarget(ctx),
      handle: (req): Answer => {
        ctx.store.allJobs();
        return one(ctx.store.renderResource(target(ctx, type, req)));
      },
    },
  ];
}
