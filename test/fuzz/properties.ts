/**
 * Property-based fuzzing of everything that reads untrusted data (#15): operation input validation, plan parsing,
 * NSE envelope and job parsing, redaction and the payload codec. `npm test` runs every property a bounded number of
 * times with a fixed seed (test/unit/fuzz.test.ts); `npm run fuzz -- --runs N [--seed S]` runs them for longer.
 *
 * Properties: validation throws the typed error (`InvalidInput`, `NseEnvelopeError`, `CodecError`) and nothing
 * else, whatever it is given; redacted output holds no secret value; the codec's encode/decode round-trips; a job
 * parsed twice gives the same state.
 */
import { ApplicationFailure, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { AesGcmCodec, CodecError } from '../../src/codec';
import { NseEnvelopeError, parseEnvelope, parseJob } from '../../src/nse/envelope';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import { OPERATION_NAMES } from '../../src/shared/operations';
import { parsePlan } from '../../src/shared/plans';
import { REDACTED, redactSecrets, scrubJob, scrubText } from '../../src/common/redact';
import { parseOperationFields, parseOperationInput } from '../../src/shared/validation';

/** One named property, run by the jest test and by `npm run fuzz`. */
export interface FuzzProperty {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each property has its own argument tuple
  property: fc.IRawProperty<any>;
}

/** Strings an attacker would try: dot segments, separators, escapes, control characters, JSON and prototype keys. */
const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom('.', '..', '%2e%2e', '../..', 'a/b', '\\', '?', '#', '\u0000', ' ', '__proto__', 'constructor'),
  fc.string({ unit: fc.constantFrom('.', '/', '%', '\\', '\u0000', '\n', 'a', '2', 'e') }),
  fc.string({ unit: 'binary' }),
);

/** Any JSON-ish value, hostile strings and prototype keys included. */
const anyValue: fc.Arbitrary<unknown> = fc.anything({
  key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'password', 'name', 'id')),
  values: [hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null)],
  maxDepth: 4,
});

/** `value` wrapped in `depth` arrays or objects: depth far past any limit, built without recursion. */
const deeplyNested: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean(), anyValue)
  .map(([depth, arrays, leaf]) => {
    let value: unknown = leaf;
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
    return value;
  });

const untrusted = fc.oneof(anyValue, deeplyNested, fc.jsonValue());

/** A valid create-hostgroup input with fields replaced or added by untrusted values. */
const mutatedOperationInput = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom('name', 'subtenant_id', 'zone', 'protocol', 'os_type', 'initiators', 'tags', 'extra'),
      untrusted,
    ),
    fc.dictionary(fc.constantFrom('operation', 'input', 'tenantId', 'poll', 'resume', 'extra'), untrusted),
  )
  .map(([fields, outer]) => ({
    operation: 'create-hostgroup',
    tenantId: SIM_FIXTURES.tenantId,
    input: {
      name: 'fuzz-hg',
      subtenant_id: SIM_FIXTURES.subtenantId,
      zone: SIM_FIXTURES.zone,
      protocol: 'iscsi',
      os_type: 'linux',
      ...fields,
    },
    ...outer,
  }));

/** Throws when `check` throws anything but an `InvalidInput` application failure. */
function onlyInvalidInput(check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FailureType.InvalidInput && err.nonRetryable) return;
    throw new Error(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}

/** Throws when `check` throws anything but `NseEnvelopeError`. */
function onlyEnvelopeError(check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (err instanceof NseEnvelopeError) return;
    throw new Error(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}

/** A secret value no generated key or text can contain by chance. */
const secretValue = fc.stringMatching(/^[A-Za-z0-9]{6,20}$/).map((s) => `Zq9-secret-${s}`);

const SECRET_KEYS = ['password', 'org_password', 'pwd', 'pass', 'token', 'jwt', 'api_key', 'ssh_private_key_data'];

/** A job record that carries `secret` under a secret key (as an object or as a JSON string) and quotes it in its texts. */
const jobCarryingSecret = fc
  .tuple(
    secretValue,
    fc.constantFrom(...SECRET_KEYS),
    fc.boolean(),
    fc.string(),
    fc.string(),
    fc.constantFrom('ERROR', 'NORMAL', 'RUNNING', undefined),
    fc.constantFrom("'", '"', '', ' '),
  )
  .map(([secret, key, payloadAsString, before, after, state, quote]) => {
    const payload = { name: 'x', [key]: secret };
    const quoted = `${before}${quote}${secret}${quote}${after}`;
    const record = {
      id: 'job-1',
      state,
      job_summary: `create with ${quoted}`,
      last_error: `FAILED! => {"module_args": ${JSON.stringify(payload)}} ${quoted}`,
      status_detail: `${key}=${secret} ${quoted}`,
      job_tasks: [
        {
          id: 'task-1',
          last_error: quoted,
          status_detail: encodeURIComponent(secret),
          request_payload: payloadAsString ? JSON.stringify(payload) : payload,
        },
      ],
    };
    return { secret, record };
  });

/** An arbitrary job-like record: known fields with untrusted values, unknown fields kept. */
const jobLike = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), untrusted),
    state: fc.oneof(fc.constantFrom('NORMAL', 'ERROR', 'RUNNING', 'PENDING', 'WARNING', 'PARTIAL_FAILURES'), untrusted),
    status: fc.oneof(fc.constantFrom('running', 'successful', 'failed', 'cancelled'), untrusted),
    last_error: untrusted,
    status_detail: untrusted,
    job_tasks: fc.oneof(
      fc.constant(null),
      fc.array(fc.dictionary(fc.string(), untrusted), { maxLength: 3 }),
      untrusted,
    ),
    extra: untrusted,
  },
  { requiredKeys: ['id'] },
);

const keyring = { activeKeyId: 'k1', keys: [{ id: 'k1', key: Buffer.alloc(32, 7) }] };
const codec = new AesGcmCodec(keyring);
const bytes = fc.uint8Array({ maxLength: 512 });
const payload: fc.Arbitrary<Payload> = fc.record({
  metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 16 }), bytes, { maxKeys: 4 }),
  data: bytes,
});

export const PROPERTIES: FuzzProperty[] = [
  {
    name: 'parseOperationInput throws only InvalidInput',
    property: fc.property(fc.oneof(untrusted, mutatedOperationInput), (raw) =>
      onlyInvalidInput(() => parseOperationInput(raw)),
    ),
  },
  {
    name: 'parseOperationFields throws only InvalidInput, for every operation',
    property: fc.property(fc.constantFrom(...OPERATION_NAMES), untrusted, (operation, fields) =>
      onlyInvalidInput(() => parseOperationFields(operation, fields)),
    ),
  },
  {
    name: 'parsePlan throws only InvalidInput',
    property: fc.property(
      fc.oneof(
        untrusted,
        fc.record({
          name: fc.oneof(fc.constant('fuzz'), hostileString),
          steps: fc.array(
            fc.record({
              id: fc.oneof(fc.constantFrom('a', 'b', 'c'), hostileString),
              operation: fc.oneof(fc.constantFrom(...OPERATION_NAMES), hostileString),
              input: fc.oneof(
                fc.dictionary(fc.string(), fc.oneof(untrusted, fc.constantFrom('${steps.a.objectId}', '${x'))),
                untrusted,
              ),
            }),
            { maxLength: 4 },
          ),
          poll: untrusted,
        }),
      ),
      (raw) => onlyInvalidInput(() => parsePlan(raw)),
    ),
  },
  {
    name: 'parseEnvelope and parseJob throw only NseEnvelopeError',
    property: fc.property(fc.oneof(untrusted, jobLike), (raw) => {
      onlyEnvelopeError(() => parseEnvelope(raw));
      onlyEnvelopeError(() => parseEnvelope({ status: { code: 202 }, result: { records: [raw] } }));
      onlyEnvelopeError(() => parseJob(raw));
    }),
  },
  {
    name: 'a job parsed twice gives the same state, and its redacted raw record parses to that state again',
    property: fc.property(jobLike, (raw) => {
      let first;
      try {
        first = parseJob(raw);
      } catch (err) {
        if (err instanceof NseEnvelopeError) return;
        throw err;
      }
      const second = parseJob(raw);
      if (JSON.stringify(first) !== JSON.stringify(second)) throw new Error('two parses differ');
      const again = parseJob(first.raw);
      if (again.state !== first.state || again.stateKnown !== first.stateKnown) {
        throw new Error(`state ${first.state} became ${again.state} after redaction`);
      }
    }),
  },
  {
    name: 'redaction leaves no secret a job carries in its record or its texts',
    property: fc.property(jobCarryingSecret, ({ secret, record }) => {
      const job = parseJob(record);
      for (const [what, text] of [
        ['job', JSON.stringify(job)],
        ['scrubbed again', JSON.stringify(scrubJob(job))],
        ['redacted record', JSON.stringify(redactSecrets(record))],
      ] as const) {
        if (text.includes(secret) || text.includes(encodeURIComponent(secret)))
          throw new Error(`${what} still holds the secret`);
      }
    }),
  },
  {
    name: 'scrubText removes secret shapes and known values from any surrounding text',
    property: fc.property(
      fc.string(),
      fc.string(),
      secretValue,
      fc.constantFrom(
        (s: string) => `Bearer ${s}`,
        (s: string) => `https://admin:${s}@nse.example/api`,
        (s: string) => `password=${s}`,
        (s: string) => `"client_secret": "${s}"`,
        (s: string) => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(s).toString('base64url')}.c2ln`,
      ),
      (before, after, secret, shape) => {
        const shaped = shape(secret);
        const hidden = shaped.startsWith('eyJ') ? shaped : secret;
        const scrubbed = scrubText(`${before} ${shaped} ${after}`, new Set());
        if (scrubbed.includes(hidden)) throw new Error('a secret shape survived');
        if (!scrubbed.includes(REDACTED)) throw new Error('nothing was redacted');
        if (scrubText(`${before}${secret}${after}`, new Set([secret])).includes(secret))
          throw new Error('a known secret survived');
      },
    ),
  },
  {
    name: 'the codec round-trips any payload, and rejects tampered ones only with CodecError',
    property: fc.asyncProperty(fc.array(payload, { maxLength: 4 }), fc.nat(), async (payloads, flip) => {
      const encoded = await codec.encode(payloads);
      const decoded = await codec.decode(encoded);
      const normalise = (list: Payload[]) =>
        list.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? [])])),
          data: Buffer.from(p.data ?? []),
        }));
      if (JSON.stringify(normalise(decoded)) !== JSON.stringify(normalise(payloads)))
        throw new Error('decode(encode(p)) differs from p');
      const target = encoded[flip % Math.max(encoded.length, 1)];
      if (!target?.data || target.data.length === 0) return;
      const tampered = Buffer.from(target.data);
      tampered[flip % tampered.length] = (tampered[flip % tampered.length] as number) ^ 1;
      try {
        await codec.decode([{ ...target, data: tampered }]);
        throw new Error('a tampered payload decoded');
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
      }
    }),
  },
];
