/**
 * The only place a workflow registers handlers (a lint rule forbids `setHandler` elsewhere): each update's and
 * signal's argument passes the gate (src/shared/entries.ts) first. An update's validator refuses a bad argument
 * (nothing is recorded); its handler gets the admitted value. A signal cannot be refused: a bad one is logged and
 * ignored. Queries take no argument and change nothing.
 * @module
 */
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { log, setHandler } from '@temporalio/workflow';
import { admitArgument } from '../shared/entries';

/**
 * Registers `handler` for `definition`. Its validator admits the argument through the gate, then runs `check` (what
 * the run's state allows); its handler admits the argument again (a replayed update runs no validator) and gets the
 * typed value.
 */
export function onUpdate<Ret, Arg = undefined>(
  definition: UpdateDefinition<Ret, [Arg]> | UpdateDefinition<Ret, []>,
  handler: (arg: Arg) => Ret | Promise<Ret>,
  check: (arg: Arg) => void = () => undefined,
): void {
  const admitted = (args: unknown[]): Arg => admitArgument('update', definition.name, args) as Arg;
  setHandler(definition, ((...args: unknown[]) => handler(admitted(args))) as never, {
    validator: ((...args: unknown[]) => check(admitted(args))) as never,
  });
}

/** Registers `handler` for `definition`; a signal whose argument the gate refuses is logged and ignored. */
export function onSignal<Arg = undefined>(
  definition: SignalDefinition<[Arg]> | SignalDefinition<[]>,
  handler: (arg: Arg) => void,
): void {
  setHandler(definition, ((...args: unknown[]) => {
    let arg: Arg;
    try {
      arg = admitArgument('signal', definition.name, args) as Arg;
    } catch (err) {
      log.warn('signal ignored: its argument is not valid', { signal: definition.name, error: (err as Error).message });
      return;
    }
    handler(arg);
  }) as never);
}

/** Registers the answer of a query (no argument). */
export function onQuery<Ret>(definition: QueryDefinition<Ret, []>, answer: () => Ret): void {
  setHandler(definition, answer);
}
