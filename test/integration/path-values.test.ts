/**
 * Values placed in a URL path (#15): for every path template of the catalogue, a hostile value either fails the run
 * with InvalidInput before any request (the simulator's ledger, read over HTTP, shows none), or reaches NSE as
 * exactly the template with the encoded value. Before the fix, `..` as a snapshot name or an initiator alias sent
 * `DELETE /v2.1/disks/<id>/` and `DELETE /v2.1/hostgroups/<id>/`.
 */
import { randomUUID } from 'node:crypto';
import { NseClient } from '../../src/nse/client';
import { NseUnsafePathError } from '../../src/nse/errors';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import { pathFields, UnsafePathValueError } from '../../src/shared/nse-paths';
import { buildRequest, OPERATIONS, type OperationSpec } from '../../src/shared/operations';
import { parseOperationFields } from '../../src/shared/validation';
import { PATH_OPERATIONS } from '../../chaos/bad-inputs';
import { rootFailure, settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

/** Values URL handling would turn into another path, or a second decoding would. */
const HOSTILE = [
  '.',
  '..',
  '...',
  '%2e%2e',
  '.%2E',
  'a/../b',
  '..\\',
  'x?y=1',
  'x#y',
  ' ..',
  '.. ',
  'a%2fb',
  'a\u0000b',
  '\t..',
  'a\u007fb',
];

/** Values that are odd but allowed: they must reach NSE unchanged (encoded, never normalised). */
const ODD_NAMES = ['a.b', '..a', 'a..', 'x y', 'snap:1', 'ünï-çødé', 'a+b=c', "it's", 'a;b', '[x]'];
const ODD_IDS = ['a.b', 'a..b', 'x:y', 'A-1_2.3'];

const templates = [...OPERATIONS.values()].filter((spec) => spec.path.includes('{'));
const cases = templates.flatMap((spec) => pathFields(spec.path).map((field): [string, string] => [spec.name, field]));
// Fields outside the path that later become a path value: the alias of add-hostgroup-initiator is the path of its undo.
const undoCases: [string, string][] = [['add-hostgroup-initiator', 'alias']];

function specOf(name: string): OperationSpec {
  return OPERATIONS.get(name) as OperationSpec;
}

it('covers every path template of the catalogue', () => {
  expect(templates.map((spec) => spec.name).sort()).toEqual(Object.keys(PATH_OPERATIONS).sort());
});

describe.each(cases)('%s {%s}', (operation, field) => {
  it.each(HOSTILE.map((value) => [JSON.stringify(value), value]))(
    'refuses %s as InvalidInput naming the field',
    (_shown, value) => {
      expect(() => parseOperationFields(operation, { ...PATH_OPERATIONS[operation], [field]: value })).toThrow(
        expect.objectContaining({ type: FailureType.InvalidInput, message: expect.stringContaining(`input.${field}`) }),
      );
    },
  );

  it('refuses a hostile value even when validation is bypassed (buildRequest)', () => {
    for (const value of HOSTILE) {
      expect(() => buildRequest(specOf(operation), { ...PATH_OPERATIONS[operation], [field]: value })).toThrow(
        UnsafePathValueError,
      );
    }
  });
});

describe('through the worker and the simulator', () => {
  const harness = useTestWorker({ queue: 'path-values' });

  it.each([...cases, ...undoCases])(
    '%s with {%s} = ".." fails with InvalidInput and sends nothing',
    async (operation, field) => {
      const before = (await harness.sim.ledger()).requests.length;
      const handle = await harness.temporal.client.workflow.start('nseOperationWorkflow', {
        taskQueue: harness.taskQueue,
        workflowId: `path-values-${randomUUID()}`,
        args: [{ operation, tenantId: SIM_FIXTURES.tenantId, input: { ...PATH_OPERATIONS[operation], [field]: '..' } }],
        workflowExecutionTimeout: '30 seconds',
      });
      const { error } = await settle(handle);
      expect(rootFailure(error)).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
      expect((await harness.sim.ledger()).requests.slice(before)).toEqual([]);
    },
  );

  describe('the NSE client', () => {
    let client: NseClient;
    beforeAll(() => {
      client = new NseClient({
        baseUrl: harness.sim.url,
        auth: { kind: 'basic', username: harness.sim.username, password: harness.sim.password },
      });
    });
    afterAll(async () => {
      await client.close();
    });

    it.each(cases)(
      '%s {%s}: an odd but allowed value reaches NSE as exactly the encoded template',
      async (op, field) => {
        const spec = specOf(op);
        const odd = field === 'name' || field === 'alias' ? ODD_NAMES : ODD_IDS;
        for (const value of odd) {
          const input = { ...PATH_OPERATIONS[op], [field]: value };
          expect(() => parseOperationFields(op, input)).not.toThrow();
          const { method, path, body } = buildRequest(spec, input);
          const expected = spec.path.replace(/\{(\w+)\}/g, (_m, f: string) => encodeURIComponent(String(input[f])));
          expect(path).toBe(expected);
          const before = (await harness.sim.ledger()).requests.length;
          await client.submit(method, path, body).catch(() => undefined); // 404 and 4xx answers are fine here
          const sent = (await harness.sim.ledger()).requests.slice(before);
          expect(sent.map((r) => `${r.method} ${r.path}`)).toContain(`${method} ${expected}`);
          expect(sent.every((r) => r.path === expected || r.path.startsWith('/v2.1/auth/'))).toBe(true);
        }
      },
    );

    it.each([
      ['/v2.1/disks/..', 'DELETE'],
      ['/v2.1/disks/abc/snapshot/.', 'DELETE'],
      ['/v2.1/hostgroups/abc/initiators/..', 'DELETE'],
      ['/v2.1/jobs/..', 'GET'],
    ])('refuses to send %s (a path URL normalisation would change)', async (path, method) => {
      const before = (await harness.sim.ledger()).requests.length;
      const sending = method === 'GET' ? client.getResource(path) : client.submit(method as 'DELETE', path, undefined);
      await expect(sending).rejects.toBeInstanceOf(NseUnsafePathError);
      expect((await harness.sim.ledger()).requests.slice(before)).toEqual([]);
    });

    it('refuses a job id NSE could send that is a dot segment', async () => {
      const before = (await harness.sim.ledger()).requests.length;
      await expect(client.getJob('..')).rejects.toBeInstanceOf(NseUnsafePathError);
      expect((await harness.sim.ledger()).requests.slice(before)).toEqual([]);
    });
  });
});
