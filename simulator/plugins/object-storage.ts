/**
 * Object storage (nse-api.md §7.3): the object storage account (nameless: one per subtenant, 412 for a second),
 * buckets, and object IAM groups and users.
 * @module
 */
import type { SimContext } from '../context';
import { FAMILIES } from '../families';
import { findTenant } from '../fixtures';
import { invalid, notFound, precondition } from '../http';
import type { SimResource } from '../job-store';
import * as schemas from '../request-schemas';
import {
  aboutBody,
  aboutNoName,
  addRoutes,
  createRoute,
  deleteRoute,
  inSubtenant,
  readRoutes,
  updateRoute,
  type AreaPlugin,
} from '../routes';

/** An update may name the subtenant, but never move the resource to another one. */
function requireSameSubtenant(ctx: SimContext, resource: SimResource, subtenantId: string, noun: string): void {
  ctx.requireSubtenant(subtenantId);
  if (subtenantId !== resource.subtenantId)
    throw invalid([`'subtenant_id' is not the subtenant of ${noun} '${resource.id}'`]);
}

export const objectStoragePlugin: AreaPlugin = async (api, { ctx }) => {
  addRoutes(api, ctx, [
    // Object storage (§7.3). Accounts have no name of their own, so name rules never match them.
    createRoute(ctx, 'objectstorage-account', schemas.AccountCreate, aboutNoName, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      if (
        ctx.store.liveResources((r) => r.type === 'objectstorage-account' && r.subtenantId === subtenant.id).length > 0
      ) {
        throw precondition(`Subtenant '${subtenant.id}' already has an object storage account.`);
      }
      const tenant = findTenant(subtenant.tenant_id);
      const name = `${tenant?.name ?? subtenant.tenant_id} - ${subtenant.name}`;
      return {
        name,
        subtenant,
        fields: { name, ...input },
        fateName: undefined,
        summary: `Activate request for Sub Tenant ${subtenant.name} is successfully submitted`,
      };
    }),
    updateRoute(ctx, 'objectstorage-account', schemas.AccountUpdate, {
      about: aboutNoName,
      check: (account, input) => requireSameSubtenant(ctx, account, input.subtenant_id, 'account'),
    }),
    deleteRoute(ctx, 'objectstorage-account', {
      about: aboutNoName,
      guard: (account) => {
        const blockers = ctx.store.liveResources(
          (r) =>
            r.subtenantId === account.subtenantId &&
            (r.type === 'objectiam-group' || r.type === 'objectiam-user' || r.type === 'bucket'),
        );
        if (blockers.length > 0) {
          const list = blockers.map((r) => `${FAMILIES[r.type].label} '${r.name}'`).join(', ');
          throw precondition(`Object storage account '${account.id}' still has groups, users or buckets: ${list}.`);
        }
      },
    }),
    createRoute(ctx, 'bucket', schemas.BucketCreate, aboutBody, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      const account = ctx.store.liveResources(
        (r) => r.type === 'objectstorage-account' && r.subtenantId === subtenant.id,
      )[0];
      if (!account || account.state !== 'Operational') {
        throw precondition(
          `The object storage account of subtenant '${subtenant.id}' is ${account ? `'${account.state}'` : 'not activated'}; buckets need an Operational account.`,
        );
      }
      // S3 bucket names are global, not per subtenant.
      ctx.requireUnique('bucket', input.name, () => true, 'in the grid');
      return {
        name: input.name,
        subtenant,
        fields: input,
        fateName: input.name,
        summary: 'Create S3 bucket for Sub Tenant',
      };
    }),
    createRoute(ctx, 'objectiam-group', schemas.GroupBody, aboutBody, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      ctx.requireUnique('objectiam-group', input.name, ...inSubtenant(subtenant.id));
      return { name: input.name, subtenant, fields: input, fateName: input.name };
    }),
    updateRoute(ctx, 'objectiam-group', schemas.GroupBody, {
      check: (group, input) => requireSameSubtenant(ctx, group, input.subtenant_id, 'group'),
      fateName: (input) => input.name,
    }),
    deleteRoute(ctx, 'objectiam-group'),
    createRoute(ctx, 'objectiam-user', schemas.UserBody, aboutBody, (input) => {
      const subtenant = ctx.requireSubtenant(input.subtenant_id);
      for (const groupId of input.sg_group_membership) {
        const group = ctx.requireResource('objectiam-group', groupId);
        if (group.subtenantId !== subtenant.id)
          throw notFound(`Object IAM group '${groupId}' in subtenant '${subtenant.id}'`);
      }
      ctx.requireUnique('objectiam-user', input.display_name, ...inSubtenant(subtenant.id));
      return {
        name: input.display_name,
        subtenant,
        fields: input,
        fateName: input.display_name,
        summary: 'Activate request is successfully submitted',
      };
    }),
    updateRoute(ctx, 'objectiam-user', schemas.UserBody, {
      check: (user, input) => {
        requireSameSubtenant(ctx, user, input.subtenant_id, 'user');
        for (const groupId of input.sg_group_membership) ctx.requireResource('objectiam-group', groupId);
      },
      fateName: (input) => input.display_name,
    }),
    deleteRoute(ctx, 'objectiam-user'),
    ...readRoutes(ctx, 'objectstorage-account'),
    ...readRoutes(ctx, 'bucket'),
    ...readRoutes(ctx, 'objectiam-group'),
    ...readRoutes(ctx, 'objectiam-user'),
  ]);
};
