/**
 * Administrator resources (nse-api.md §7.4): the seeded tenants, subtenants, regions, zones and subnets, served
 * read-only and limited to the user's tenancies.
 * @module
 */
import type { SimContext } from '../context';
import { FIXTURE_SORT_KEYS } from '../families';
import {
  findSubnet,
  findSubtenant,
  findTenant,
  findZone,
  SIM_FIXTURES,
  SUBNETS,
  SUBTENANTS,
  TENANTS,
  ZONES,
  type SimSubtenant,
} from '../fixtures';
import { filtered, notFound, one, page, type Answer, type SimRequest } from '../http';
import { addRoutes, type ApiRoute, type AreaPlugin } from '../routes';

/** A seeded, read-only collection (tenants, subtenants, zones): filtered lists and one item by its key. */
function fixtureRoutes(
  ctx: SimContext,
  collection: string,
  items: readonly object[],
  filters: readonly string[],
  byKey: { param: string; find: (key: string) => object | undefined; label: string },
  tenantOf: (item: object) => string | undefined,
): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: collection,
      handle: (req) =>
        byName(
          filtered(
            items
              .filter((item) => {
                const tenantId = tenantOf(item);
                return tenantId === undefined || ctx.inTenancy(tenantId);
              })
              .map((item) => ({ ...item })),
            req.query,
            filters,
          ),
          req,
        ),
    },
    {
      method: 'GET',
      url: `${collection}/:${byKey.param}`,
      handle: (req) => {
        const key = req.params[byKey.param] ?? '';
        const item = byKey.find(key);
        if (!item) throw notFound(`${byKey.label} '${key}'`);
        const tenantId = tenantOf(item);
        if (tenantId !== undefined) ctx.requireTenancy(tenantId, `${byKey.label.toLowerCase()} '${key}'`);
        return one({ ...item });
      },
    },
  ];
}

/** A page of seeded records, sorted by name unless the query says otherwise. */
const byName = (items: Record<string, unknown>[], req: SimRequest): Answer =>
  page(items, req.query, FIXTURE_SORT_KEYS, { sortBy: 'name', orderBy: 'asc' });

export const adminPlugin: AreaPlugin = async (api, { ctx }) => {
  addRoutes(api, ctx, [
    // Administrator resources (synchronous, seeded)
    ...fixtureRoutes(
      ctx,
      '/v2.1/tenants',
      TENANTS,
      ['code', 'name'],
      { param: 'id', find: findTenant, label: 'Tenant' },
      (tenant) => (tenant as { id: string }).id,
    ),
    ...fixtureRoutes(
      ctx,
      '/v2.1/subtenants',
      SUBTENANTS,
      ['tenant_id', 'code', 'name'],
      { param: 'id', find: findSubtenant, label: 'Subtenant' },
      (subtenant) => (subtenant as SimSubtenant).tenant_id,
    ),
    ...fixtureRoutes(
      ctx,
      '/v2.1/zones',
      ZONES,
      ['region_name', 'name'],
      { param: 'name', find: findZone, label: 'Zone' },
      () => undefined,
    ),
    { method: 'GET', url: '/v2.1/regions', handle: (req) => byName([{ name: SIM_FIXTURES.region }], req) },
    {
      method: 'GET',
      url: '/v2.1/tenants/:tenant_id/zones/:zone_name/subnets',
      handle: (req) => {
        ctx.requireTenancy(req.params.tenant_id ?? '', 'the subnets');
        return byName(
          SUBNETS.filter((s) => s.tenant_id === req.params.tenant_id && s.zone === req.params.zone_name).map((s) => ({
            ...s,
          })),
          req,
        );
      },
    },
    {
      method: 'GET',
      url: '/v2.1/tenants/:tenant_id/zones/:zone_name/subnets/:id',
      handle: (req) => {
        ctx.requireTenancy(req.params.tenant_id ?? '', 'the subnets');
        const subnet = findSubnet(req.params.id ?? '');
        if (!subnet || subnet.tenant_id !== req.params.tenant_id || subnet.zone !== req.params.zone_name) {
          throw notFound(`Subnet '${req.params.id ?? ''}'`);
        }
        return one({ ...subnet });
      },
    },
  ]);
};
