/**
 * Block storage (nse-api.md §7.1): block stores (nameless: one per subtenant and zone, 412 for a second), disks
 * (with inline host groups created as their own objects and tasks of the disk's job) and their snapshots, host
 * groups and their initiators.
 * @module
 */
import { findSubnet, findTenant } from '../fixtures';
import { invalid, notFound, one, page, parse, precondition, type SimRequest } from '../http';
import type { SimContext } from '../context';
import type { SimResource } from '../job-store';
import * as schemas from '../request-schemas';
import {
  aboutBody,
  aboutNoName,
  addRoutes,
  createRoute,
  deleteRoute,
  inZone,
  readRoutes,
  requireCloneSource,
  snapshotRoutes,
  target,
  updateRoute,
  type ApiRoute,
  type AreaPlugin,
} from '../routes';
import { submitInitiator } from '../submit';

/** Checks an initiator against its host group's protocol: IQN/EUI/NAA for iSCSI, a WWPN for FC (§7.1). */
function checkInitiator(protocol: unknown, initiator: string, field: string): void {
  const ok =
    protocol === 'fcp'
      ? /^([0-9a-f]{2}:){7}[0-9a-f]{2}$/i.test(initiator) || /^[0-9a-f]{16}$/i.test(initiator)
      : /^(iqn\.|eui\.|naa\.)/i.test(initiator);
  if (!ok) {
    throw invalid([
      `'${field}' must be ${protocol === 'fcp' ? 'a WWPN' : 'an iSCSI name (iqn., eui. or naa.)'} to match the host group protocol`,
    ]);
  }
}

function requireInitiator(hostgroup: SimResource, alias: string): { alias: string; initiator: string } {
  const initiator = hostgroup.initiators.find((i) => i.alias === alias);
  if (!initiator) throw notFound(`Initiator '${alias}' of host group '${hostgroup.id}'`);
  return initiator;
}

/** The host group of the path and the `:alias` of one of its initiators, or a 404. */
function pathInitiator(ctx: SimContext, req: SimRequest): { hostgroup: SimResource; alias: string } {
  const hostgroup = target(ctx, 'hostgroup', req);
  const alias = req.params.alias ?? '';
  requireInitiator(hostgroup, alias);
  return { hostgroup, alias };
}

/** Block stores (§7.1): nameless, one per subtenant and zone; a second create is a 412. */
function blockstoreRoutes(ctx: SimContext): ApiRoute[] {
  return [
    createRoute(ctx, 'blockstore', schemas.BlockstoreCreate, aboutNoName, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      if (input.tenant_id !== undefined) {
        if (!findTenant(input.tenant_id)) throw notFound(`Tenant '${input.tenant_id}'`);
        if (input.tenant_id !== subtenant.tenant_id)
          throw invalid([`'tenant_id' is not the tenant of subtenant '${subtenant.id}'`]);
      }
      ctx.requireZone(input.zone);
      if (input.dr_zone !== undefined) ctx.requireZone(input.dr_zone);
      if (input.subnet_id !== undefined && !findSubnet(input.subnet_id)) throw notFound(`Subnet '${input.subnet_id}'`);
      if (
        ctx.store.liveResources(
          (r) => r.type === 'blockstore' && r.subtenantId === subtenant.id && r.zone === input.zone,
        ).length > 0
      ) {
        throw precondition(`Subtenant '${subtenant.id}' already has a block store in zone '${input.zone}'.`);
      }
      return {
        name: `${subtenant.id}_${input.zone}`,
        subtenant,
        zone: input.zone,
        fields: { service_fcp_enabled: false, service_iscsi_enabled: true, ...input },
        fateName: undefined,
      };
    }),
    updateRoute(ctx, 'blockstore', schemas.BlockstoreUpdate, {
      check: (_resource, input) => {
        if (input.dr_zone !== undefined) ctx.requireZone(input.dr_zone);
      },
    }),
    deleteRoute(ctx, 'blockstore', {
      guard: (blockstore) => {
        const disks = ctx.store.liveResources(
          (r) => r.type === 'disk' && r.subtenantId === blockstore.subtenantId && r.zone === blockstore.zone,
        );
        if (disks.length > 0) {
          throw precondition(
            `Block store '${blockstore.id}' still has ${disks.length} disk(s): ${disks.map((d) => d.name).join(', ')}. Delete them first.`,
          );
        }
      },
    }),
  ];
}

/** Disks, their inline host groups (their own objects and tasks of the disk job) and snapshots. */
function diskRoutes(ctx: SimContext): ApiRoute[] {
  return [
    createRoute(ctx, 'disk', schemas.DiskCreate, aboutBody, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      ctx.requireZone(input.zone);
      requireCloneSource(ctx, 'disk', input.clone_from_disk_id, input.clone_from_snapshot_name);
      ctx.requireUnique('disk', input.name, ...inZone(subtenant.id, input.zone));
      const inline = (input.hostgroups ?? []).map((hg, index) => {
        ctx.requireUnique('hostgroup', hg.name, ...inZone(subtenant.id, input.zone));
        (hg.initiators ?? []).forEach((i, j) =>
          checkInitiator(input.protocol, i.initiator, `hostgroups.${index}.initiators.${j}.initiator`),
        );
        return { name: hg.name, initiators: hg.initiators ?? [] };
      });
      return {
        name: input.name,
        subtenant,
        zone: input.zone,
        fields: input,
        fateName: input.name,
        inlineHostgroups: inline,
      };
    }),
    updateRoute(ctx, 'disk', schemas.DiskUpdate, {
      check: (disk, input) => {
        if (disk.fields.dr_enabled === true && input.dr_enabled === false)
          throw invalid([`'dr_enabled' cannot be disabled once enabled`]);
        if (input.name !== undefined && input.name !== disk.name)
          ctx.requireUnique('disk', input.name, ...inZone(disk.subtenantId, disk.zone));
      },
      fateName: (input) => input.name,
    }),
    deleteRoute(ctx, 'disk'),
    ...snapshotRoutes(ctx, 'disk'),
  ];
}

/** Host groups; a host group still mapped by a disk cannot be deleted. */
function hostgroupRoutes(ctx: SimContext): ApiRoute[] {
  return [
    createRoute(ctx, 'hostgroup', schemas.HostgroupCreate, aboutBody, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      ctx.requireZone(input.zone);
      ctx.requireUnique('hostgroup', input.name, ...inZone(subtenant.id, input.zone));
      const initiators = input.initiators ?? [];
      initiators.forEach((i, index) => checkInitiator(input.protocol, i.initiator, `initiators.${index}.initiator`));
      if (new Set(initiators.map((i) => i.alias)).size !== initiators.length)
        throw invalid([`'initiators' has a duplicate alias`]);
      return { name: input.name, subtenant, zone: input.zone, fields: input, fateName: input.name, initiators };
    }),
    deleteRoute(ctx, 'hostgroup', {
      guard: (hostgroup) => {
        const mapped = ctx.store.liveResources(
          (r) =>
            r.type === 'disk' &&
            r.subtenantId === hostgroup.subtenantId &&
            r.zone === hostgroup.zone &&
            Array.isArray(r.fields.hostgroup_mappings) &&
            r.fields.hostgroup_mappings.includes(hostgroup.name),
        );
        if (mapped.length > 0) {
          throw precondition(
            `Host group '${hostgroup.name}' is still mapped by disk(s): ${mapped.map((d) => d.name).join(', ')}.`,
          );
        }
      },
    }),
  ];
}

/** A host group's initiators: read, add, update, remove. */
function initiatorRoutes(ctx: SimContext): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/v2.1/hostgroups/:id/initiators',
      handle: (req) =>
        page(
          target(ctx, 'hostgroup', req).initiators.map((i) => ({ ...i })),
          req.query,
          ['alias', 'initiator'],
          { sortBy: 'alias', orderBy: 'asc' },
        ),
    },
    {
      method: 'GET',
      url: '/v2.1/hostgroups/:id/initiators/:alias',
      handle: (req) => one({ ...requireInitiator(target(ctx, 'hostgroup', req), req.params.alias ?? '') }),
    },
    {
      method: 'POST',
      url: '/v2.1/hostgroups/:id/initiators',
      operation: 'add-hostgroup-initiator',
      about: aboutBody,
      handle: (req, call) => {
        const hostgroup = target(ctx, 'hostgroup', req);
        const input = parse(schemas.InitiatorAdd, req.body);
        checkInitiator(hostgroup.fields.protocol, input.initiator, 'initiator');
        if (hostgroup.initiators.some((i) => i.alias === input.alias)) {
          throw precondition(`Host group '${hostgroup.name}' already has an initiator with alias '${input.alias}'.`);
        }
        return submitInitiator(ctx, call, hostgroup, input.alias, { kind: 'add', initiator: input.initiator });
      },
    },
    {
      method: 'PATCH',
      url: '/v2.1/hostgroups/:id/initiators/:alias',
      operation: 'update-hostgroup-initiator',
      about: (req) => ({ name: req.params.alias }),
      handle: (req, call) => {
        const { hostgroup, alias } = pathInitiator(ctx, req);
        const input = parse(schemas.InitiatorUpdate, req.body);
        checkInitiator(hostgroup.fields.protocol, input.initiator, 'initiator');
        return submitInitiator(ctx, call, hostgroup, alias, { kind: 'update', initiator: input.initiator });
      },
    },
    {
      method: 'DELETE',
      url: '/v2.1/hostgroups/:id/initiators/:alias',
      operation: 'remove-hostgroup-initiator',
      about: (req) => ({ name: req.params.alias }),
      handle: (req, call) => {
        const { hostgroup, alias } = pathInitiator(ctx, req);
        return submitInitiator(ctx, call, hostgroup, alias, { kind: 'remove' });
      },
    },
  ];
}

export const blockPlugin: AreaPlugin = async (api, { ctx }) => {
  addRoutes(api, ctx, [
    ...blockstoreRoutes(ctx),
    ...diskRoutes(ctx),
    ...hostgroupRoutes(ctx),
    ...initiatorRoutes(ctx),
    ...readRoutes(ctx, 'blockstore'),
    ...readRoutes(ctx, 'disk'),
    ...readRoutes(ctx, 'hostgroup'),
  ]);
};
