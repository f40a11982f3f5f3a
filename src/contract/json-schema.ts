/**
 * The language-neutral contract: JSON Schema (draft 2020-12) generated from the zod schemas that validate workflow
 * input and from those of ./schemas.ts, so a caller in any language checks what it sends and reads what it gets.
 * `nse-flow schema [operation]` prints it; docs/contract.md explains it.
 * @module
 */
import * as z from 'zod/mini';
import { findOperation, OPERATION_NAMES } from '../shared/operations';
import { bulkInputSchema, bulkItemSchema, bulkLimitsSchema, MAX_BULK_ITEMS } from '../shared/bulk';
import { planSchema } from '../shared/plans';
import { operationInputSchema, pollPolicySchema } from '../shared/validation';
import {
  bulkResultSchema,
  bulkStatusSchema,
  failureDetailSchemas,
  operationResultSchema,
  operationStatusSchema,
  provisionResultSchema,
  provisionStatusSchema,
} from './schemas';

/** A JSON Schema document. */
type JsonSchema = Record<string, unknown>;

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * zod checks Gen-1/Gen-2 network fields with a refinement ("subnet_id, or subnet with vlan_id"), which JSON Schema
 * cannot take from it; said here as `anyOf` of the two `required` sets for every object that has the three fields.
 */
function addNetworkRule(jsonSchema: JsonSchema): void {
  const properties = jsonSchema.properties as Record<string, unknown> | undefined;
  if (properties && 'subnet_id' in properties && 'subnet' in properties && 'vlan_id' in properties) {
    jsonSchema.anyOf = [{ required: ['subnet_id'] }, { required: ['subnet', 'vlan_id'] }];
  }
}

function toJson(schema: z.ZodMiniType, io: 'input' | 'output', description?: string): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: (context) => addNetworkRule(context.jsonSchema as JsonSchema),
  }) as JsonSchema;
  return description ? { description, ...json } : json;
}

/** The workflow input of one operation: `nseOperationWorkflow`'s envelope with that operation's fields. */
function operationInputFor(operation: string): z.ZodMiniType {
  const spec = findOperation(operation);
  if (!spec) throw new Error(`unknown operation '${operation}'`);
  // The envelope leaves out `resume`: the workflow writes it when it continues as new; callers leave it out.
  return z.extend(operationInputSchema(), {
    operation: z.literal(operation),
    input: spec.schema,
  });
}

/** Schema of `nseOperationWorkflow`'s input for `operation`; throws for an unknown operation. */
export function operationContract(operation: string): JsonSchema {
  const spec = findOperation(operation);
  return {
    $schema: DIALECT,
    title: `nseOperationWorkflow input: ${operation}`,
    ...toJson(operationInputFor(operation), 'input', `${spec?.method} ${spec?.path} (NSE v2.1)`),
  };
}

/** The whole contract: every definition under `$defs`, by name. */
export function fullContract(): JsonSchema {
  const operations = Object.fromEntries(
    OPERATION_NAMES.map((name) => [`operation:${name}`, toJson(operationInputFor(name), 'input')]),
  );
  const failures = Object.fromEntries(
    Object.entries(failureDetailSchemas).map(([type, schema]) => [`failure:${type}`, toJson(schema, 'output')]),
  );
  return {
    $schema: DIALECT,
    title: 'nse-flow contract',
    description: 'Inputs, results, status answers and failure details of nse-flow workflows (see docs/contract.md).',
    $defs: {
      OperationInput: {
        description: 'Input of nseOperationWorkflow: one of the operation:<name> definitions.',
        oneOf: OPERATION_NAMES.map((name) => ({ $ref: `#/$defs/operation:${name}` })),
      },
      ...operations,
      PollPolicy: toJson(pollPolicySchema(), 'input', 'Timing of the job reads; every field optional.'),
      ProvisionPlan: toJson(
        planSchema(),
        'input',
        'Input of provisionWorkflow. Each step input is checked against its operation (operation:<name>.input) ' +
          'once the ${steps.<id>...} references in it are resolved.',
      ),
      OperationResult: toJson(operationResultSchema, 'output', 'Result of nseOperationWorkflow.'),
      OperationStatus: toJson(operationStatusSchema, 'output', "nseOperationWorkflow's answer to the status query."),
      ProvisionResult: toJson(provisionResultSchema, 'output', 'Result of provisionWorkflow.'),
      ProvisionStatus: toJson(provisionStatusSchema, 'output', "provisionWorkflow's answer to the status query."),
      BulkInput: toJson(
        z.extend(z.omit(bulkInputSchema(), { finished: true, total: true, redriveOf: true }), {
          items: z.array(bulkItemSchema()).check(z.minLength(1), z.maxLength(MAX_BULK_ITEMS)),
        }),
        'input',
        "Input of bulkWorkflow. Each item's operation request is the bulk's operation, tenantId and input with the " +
          "item's over them (input merged field by field), checked against operation:<name>.input.",
      ),
      BulkLimits: toJson(bulkLimitsSchema(), 'input', 'Argument of the setBulkLimits update; its answer, complete.'),
      BulkResult: toJson(
        bulkResultSchema,
        'output',
        'Result of bulkWorkflow (and detail of BulkFailed, BulkCancelled).',
      ),
      BulkStatus: toJson(bulkStatusSchema, 'output', "bulkWorkflow's answer to the status query."),
      ...failures,
    },
  };
}
