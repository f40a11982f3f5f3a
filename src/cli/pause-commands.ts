/**
 * The `nse-flow` commands that hold and release NSE calls for a maintenance window or an outage: `pause`, `resume`.
 * @module
 */
import type { Command } from 'commander';
import type { PausedScopes, PauseScope } from '../client';
import { print, withClient, type GlobalOptions } from './common';

interface ScopeOptions {
  tenant?: string;
}

function describeScopes(paused: PausedScopes): string {
  if (paused.all) return 'all NSE calls are paused';
  if (paused.tenants.length === 0) return 'no NSE calls are paused';
  return `NSE calls are paused for tenants: ${paused.tenants.join(', ')}`;
}

function scopeOf(options: ScopeOptions): PauseScope {
  return options.tenant === undefined ? {} : { tenantId: options.tenant };
}

/** `pause`, `resume` (on the fleet of NSE_FLOW_TASK_QUEUE). */
export function addPauseCommands(program: Command): void {
  program
    .command('pause')
    .description('hold new NSE calls (submits, reads, undo calls) of one tenant or all; runs wait, showing `paused`')
    .option('--tenant <tenantId>', 'pause only this tenant (default: all NSE calls)')
    .addHelpText('after', '\nExamples:\n  nse-flow pause\n  nse-flow pause --tenant acme')
    .action(async (options: ScopeOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        const paused = await client.pause(scopeOf(options));
        print(global, paused, describeScopes(paused));
      });
    });

  program
    .command('resume')
    .description('release what `pause` held (without --tenant: everything) and wake the waiting runs')
    .option('--tenant <tenantId>', 'resume only this tenant')
    .addHelpText('after', '\nExamples:\n  nse-flow resume\n  nse-flow resume --tenant acme')
    .action(async (options: ScopeOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        const outcome = await client.resume(scopeOf(options));
        print(
          global,
          outcome,
          `${describeScopes(outcome.paused)}; woke ${outcome.signalled} waiting run${outcome.signalled === 1 ? '' : 's'}`,
        );
      });
    });
}
