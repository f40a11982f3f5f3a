/**
 * The examples in examples/ run twice against the same stack, as docs/operations.md and the README run them (the CLI,
 * with an idempotency key): the second run starts nothing, says so, and ends as the first did, instead of asking NSE
 * for the same objects again (which NSE refuses with 412). examples/python runs twice in python-caller.test.ts; the
 * bulk's redrive runs in readme-commands.test.ts.
 */
import { cliEnvFor, runCli } from '../helpers/cli';
import { useTestWorker } from '../helpers/worker';

describe('the examples, run twice', () => {
  const harness = useTestWorker({ queue: 'examples' });
  const suffix = Date.now().toString(36);

  const cli = (args: string[]) => runCli(args, cliEnvFor(harness));

  it.each([
    ['block-storage', 'provision examples/block-storage.json', 'nse-flow-plan-'],
    ['file-storage', 'provision examples/file-storage.json', 'nse-flow-plan-'],
    ['object-storage', 'provision examples/object-storage.json', 'nse-flow-plan-'],
    ['bulk/hostgroups', 'provision --each examples/bulk/hostgroups.json', 'nse-flow-bulk-'],
  ])(
    'examples/%s.json: the second run with the same key answers the first run',
    async (name, command, idPrefix) => {
      const key = `example-${name.replace('/', '-')}-${suffix}`;
      const args = [...command.split(' '), '--idempotency-key', key, '--wait'];
      const first = await cli(args);
      const second = await cli(args);
      // The plans complete; the bulk fails on purpose (1 failed item of 4 is more than its 20%: README, step 6).
      const expected = name.startsWith('bulk/') ? 1 : 0;
      expect(first).toMatchObject({ code: expected, stderr: expect.stringContaining(`started ${idPrefix}${key}`) });
      expect(second).toMatchObject({ code: expected, stdout: first.stdout });
      expect(second.stderr).toContain(
        `already started ${idPrefix}${key} (idempotency key ${key}): nothing new started`,
      );
    },
    300_000,
  );

  it('made each object once: the second runs asked NSE for nothing new', async () => {
    const creates = await harness.sim.requests('POST');
    const paths = creates.map((request) => request.path).filter((p) => !p.includes('/auth/'));
    // 4 + 2 + 4 steps of the plans, 4 items of the bulk and the undo of its failed one is a DELETE.
    expect(paths).toHaveLength(14);
  });
});
