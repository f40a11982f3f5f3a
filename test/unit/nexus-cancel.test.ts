/**
 * The Nexus handler's cancel (issue #24): the operation token is unsigned base64url JSON that any caller of the
 * endpoint can write. Before the fix the SDK's cancel took its workflow id as given, so a forged token cancelled any
 * workflow of the namespace; now a token that names no run of that operation is refused with `BAD_REQUEST` before
 * anything is cancelled.
 */
import * as nexus from 'nexus-rpc';
import { NEXUS_RUN_ID_PREFIX, OwnRunOperationHandler } from '../../src/nexus/handler';

const token = (wid: unknown): string => Buffer.from(JSON.stringify({ t: 1, ns: 'default', wid })).toString('base64url');

describe('the Nexus cancel', () => {
  const handler = new OwnRunOperationHandler('runOperation', () => {
    throw new Error('never started here');
  });
  const context = {} as nexus.CancelOperationContext;

  it.each([
    ['another tenant run', token('nse-flow-op-7f3a')],
    ['the control workflow', token('nse-flow-control-nse-flow')],
    ['a plan run, through runOperation', token(`${NEXUS_RUN_ID_PREFIX.runPlan}r1`)],
    ['no workflow id', token(5)],
    ['not a token', 'not base64 json'],
    ['an empty token', ''],
  ])('refuses a token naming %s with BAD_REQUEST', async (_what, forged) => {
    const error = await handler.cancel(context, forged).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(nexus.HandlerError);
    expect(error).toMatchObject({ type: 'BAD_REQUEST' });
  });

  it('passes a token of its own runs on to the SDK (which needs a Nexus context to cancel)', async () => {
    const error = await handler
      .cancel(context, token(`${NEXUS_RUN_ID_PREFIX.runOperation}r1`))
      .catch((err: unknown) => err);
    expect(error).not.toMatchObject({ type: 'BAD_REQUEST' });
  });
});
