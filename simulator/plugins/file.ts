/**
 * File services (nse-api.md §7.2): file servers and file shares, and the shares' snapshots.
 * @module
 */
import { findSubnet } from '../fixtures';
import { notFound, precondition } from '../http';
import * as schemas from '../request-schemas';
import {
  aboutBody,
  addRoutes,
  createRoute,
  deleteRoute,
  inSubtenant,
  readRoutes,
  requireCloneSource,
  snapshotRoutes,
  updateRoute,
  type AreaPlugin,
} from '../routes';

export const filePlugin: AreaPlugin = async (api, { ctx }) => {
  addRoutes(api, ctx, [
    // File servers and shares (§7.2)
    createRoute(ctx, 'fileserver', schemas.FileserverCreate, aboutBody, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      ctx.requireZone(input.zone);
      if (input.dr_zone !== undefined) ctx.requireZone(input.dr_zone);
      if (input.subnet_id !== undefined && !findSubnet(input.subnet_id)) throw notFound(`Subnet '${input.subnet_id}'`);
      ctx.requireUnique('fileserver', input.name, ...inSubtenant(subtenant.id));
      return { name: input.name, subtenant, zone: input.zone, fields: input, fateName: input.name };
    }),
    updateRoute(ctx, 'fileserver', schemas.FileserverUpdate, {
      check: (_resource, input) => {
        if (input.dr_zone !== undefined) ctx.requireZone(input.dr_zone);
      },
      fateName: (input) => input.name,
    }),
    deleteRoute(ctx, 'fileserver', {
      guard: (fileserver) => {
        const shares = ctx.store.liveResources(
          (r) => r.type === 'fileshare' && r.fields.fileserver_id === fileserver.id,
        );
        if (shares.length > 0) {
          throw precondition(
            `File server '${fileserver.name}' still has ${shares.length} share(s): ${shares.map((s) => s.name).join(', ')}. Delete them first.`,
          );
        }
      },
    }),
    createRoute(ctx, 'fileshare', schemas.FileshareCreate, aboutBody, (input) => {
      const fileserver = ctx.requireResource('fileserver', input.fileserver_id);
      const subtenant = ctx.requireSubtenant(fileserver.subtenantId);
      requireCloneSource(ctx, 'fileshare', input.clone_from_fileshare_id, input.clone_from_snapshot_name);
      ctx.requireUnique(
        'fileshare',
        input.name,
        (r) => r.fields.fileserver_id === fileserver.id,
        `on file server '${fileserver.name}'`,
      );
      return { name: input.name, subtenant, zone: fileserver.zone, fields: input, fateName: input.name };
    }),
    updateRoute(ctx, 'fileshare', schemas.FileshareUpdate, { fateName: (input) => input.name }),
    deleteRoute(ctx, 'fileshare'),
    ...snapshotRoutes(ctx, 'fileshare'),
    ...readRoutes(ctx, 'fileserver'),
    ...readRoutes(ctx, 'fileshare'),
  ]);
};
