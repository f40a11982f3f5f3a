import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { ApplicationFailure } from '@temporalio/common';
import { fullContract, operationContract } from '../../src/contract/json-schema';
import { failureDetailSchemas, operationStatusSchema } from '../../src/contract/schemas';
import { OPERATION_NAMES } from '../../src/shared/operations';
import { parseBulk, type BulkInput } from '../../src/shared/bulk';
import { parsePlan, resolveStepInput, type ProvisionPlan, type StepOutput } from '../../src/shared/plans';
import { parseOperationInput } from '../../src/shared/validation';
import { safeParse } from '../../src/shared/zod-kit';
import { FAST_POLL, hostgroupOperation } from '../helpers/fixtures';
import type { OperationInput } from '../../src/shared/workflow-api';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const PLACEHOLDER_ID = '5f1a000000000000000000ff';

const plans: ProvisionPlan[] = readdirSync(EXAMPLES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as ProvisionPlan);

/** Every step of the example plans as a workflow input, its references resolved as a run would resolve them. */
function exampleOperations(): OperationInput[] {
  const inputs: OperationInput[] = [hostgroupOperation('contract-hosts')];
  for (const plan of plans) {
    const outputs = new Map<string, StepOutput>();
    for (const step of plan.steps) {
      const input = resolveStepInput(step, outputs);
      outputs.set(step.id, { objectId: PLACEHOLDER_ID, jobId: PLACEHOLDER_ID, input });
      inputs.push({ operation: step.operation, input, tenantId: plan.tenantId, poll: FAST_POLL });
    }
  }
  return inputs;
}

const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
const contract = fullContract();
ajv.addSchema(contract, 'contract');
const validator = (definition: string): ValidateFunction =>
  ajv.getSchema(`contract#/$defs/${definition.replace(/~/g, '~0').replace(/\//g, '~1')}`)!;

/** What the workflow's own validation says of a workflow input. */
function zodAccepts(input: unknown): boolean {
  try {
    parseOperationInput(input);
    return true;
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    return false;
  }
}

describe('the JSON Schema contract', () => {
  const examples = exampleOperations();

  it('covers every operation of the catalogue and the examples use several of them', () => {
    for (const name of OPERATION_NAMES) expect(validator(`operation:${name}`)).toBeDefined();
    expect(new Set(examples.map((example) => example.operation)).size).toBeGreaterThanOrEqual(8);
  });

  it.each(plans.map((plan) => [plan.name, plan] as const))('accepts the example plan %s, as zod does', (_n, plan) => {
    expect(() => parsePlan(plan)).not.toThrow();
    const validate = validator('ProvisionPlan');
    expect(validate(plan)).toBe(true);
    expect(validate({ ...plan, steps: undefined })).toBe(false);
  });

  it.each(examples.map((example) => [example.operation, example] as const))(
    '%s: accepts the example, and each field left out or mistyped exactly when zod does',
    (operation, example) => {
      const byOperation = validator(`operation:${operation}`);
      const anyOperation = validator('OperationInput');
      expect(zodAccepts(example)).toBe(true);
      expect(byOperation(example)).toBe(true);
      expect(anyOperation(example)).toBe(true);
      for (const field of Object.keys(example.input)) {
        const { [field]: _left, ...without } = example.input;
        const missing = { ...example, input: without };
        expect([field, byOperation(missing)]).toEqual([field, zodAccepts(missing)]);
        const mistyped = { ...example, input: { ...example.input, [field]: { not: 'this' } } };
        expect([field, zodAccepts(mistyped), byOperation(mistyped)]).toEqual([field, false, false]);
      }
      const { operation: _left, ...withoutOperation } = example;
      expect(zodAccepts(withoutOperation)).toBe(false);
      expect(anyOperation(withoutOperation)).toBe(false);
    },
  );

  it('names a required field left out as missing', () => {
    const { protocol: _left, ...input } = hostgroupOperation('missing-protocol').input;
    expect(() => parseOperationInput({ ...hostgroupOperation('x'), input })).toThrow(
      /input\.protocol: required field missing, expected one of "iscsi"\|"fcp"/,
    );
    expect(() => parseOperationInput({ input })).toThrow(/^operation: required field missing, expected string/);
  });

  it('rejects fields the workflow does not know, and accepts a poll policy only with known fields', () => {
    const validate = validator('operation:create-hostgroup');
    const example = hostgroupOperation('strict');
    expect(validate({ ...example, extra: 1 })).toBe(false);
    expect(validate({ ...example, poll: { mode: 'sometimes' } })).toBe(false);
    expect(validate({ ...example, poll: { mode: 'long-poll', timeoutMs: 60_000 } })).toBe(true);
  });

  it('prints one operation as a standalone schema', () => {
    const validate = new Ajv2020({ strict: true, strictRequired: false }).compile(
      operationContract('create-hostgroup'),
    );
    expect(validate(hostgroupOperation('standalone'))).toBe(true);
    expect(validate({ ...hostgroupOperation('standalone'), operation: 'create-disk' })).toBe(false);
  });

  it('describes answers as their zod schemas do', () => {
    const status = { operation: 'create-disk', summary: 's', phase: 'polling', jobId: 'j1', polls: 2, warnings: 0 };
    expect(safeParse(operationStatusSchema, status).success).toBe(true);
    expect(validator('OperationStatus')(status)).toBe(true);
    const { polls: _left, ...withoutPolls } = status;
    expect(safeParse(operationStatusSchema, withoutPolls).success).toBe(false);
    expect(validator('OperationStatus')(withoutPolls)).toBe(false);
    const vanished = { jobId: 'j1', objectId: 'o1', lastState: 'RUNNING' };
    expect(safeParse(failureDetailSchemas.JobVanished, vanished).success).toBe(true);
    expect(validator('failure:JobVanished')(vanished)).toBe(true);
    expect(validator('failure:JobVanished')({ ...vanished, lastState: 'MAYBE' })).toBe(false);
  });

  it('describes a bulk: the example file, its limits update and its result', () => {
    const bulk = JSON.parse(readFileSync(join(EXAMPLES, 'bulk', 'hostgroups.json'), 'utf8')) as BulkInput;
    expect(parseBulk(bulk).items).toHaveLength(bulk.items.length);
    expect(validator('BulkInput')(bulk)).toBe(true);
    expect(validator('BulkInput')({ ...bulk, items: [{ key: 'a', extra: 1 }] })).toBe(false);
    expect(validator('BulkLimits')({ maxConcurrency: 5 })).toBe(true);
    expect(validator('BulkLimits')({ maxConcurrency: 0 })).toBe(false);
    const result = { bulk: 'b', total: 2, done: 1, failed: 1, items: [{ key: 'a', outcome: 'done', reused: true }] };
    expect(validator('failure:BulkFailed')(result)).toBe(true);
    expect(validator('BulkResult')({ ...result, items: [{ key: 'a', outcome: 'maybe' }] })).toBe(false);
  });
});
