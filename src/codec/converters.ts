/**
 * The converters of encrypting workers and clients, bundled into the workflow sandbox (a fenced module: it imports
 * only `@temporalio/*` and src/shared).
 *
 * The failure converter: failure messages and stack traces move into the failure's `encoded_attributes` payload,
 * which the payload codec then encrypts like any other payload. Without it, the server would keep every failure
 * message in clear text even with NSE_FLOW_CODEC_KEYS set. The Web UI and the `temporal` CLI show them through the
 * codec server; the SDK's clients decode them on their own.
 *
 * The payload converter: the SDK's default, plus what a worker's codec marks as unreadable (a payload sealed with a
 * key the worker does not hold, or forged; src/codec/aes-gcm-codec.ts). Where the payload is an entry of the run the
 * task belongs to (its input or continue-as-new state, an update's or signal's argument), the workflow receives a
 * value the gate refuses (src/shared/entry-gate.ts): the run ends with `InvalidInput`, the update is refused, the
 * signal ignored, and the run's next tasks go on. Anywhere else (an activity's input or result, a child's result)
 * the payload came from this deployment's own workers, so the worker that lacks the key fails as before and the task
 * waits for one that holds it.
 *
 * Workflow payloads are converted inside the sandbox, so a workflow bundle for an encrypting worker must be built with
 * this module ({@link CONVERTERS_PATH} as `failureConverterPath` and `payloadConverterPath`); the worker checks for
 * {@link ENCRYPTED_FAILURES_MARKER} in a prebuilt bundle before it uses one.
 * @module
 */
import {
  BinaryPayloadConverter,
  CompositePayloadConverter,
  DefaultFailureConverter,
  JsonPayloadConverter,
  PayloadConverterError,
  UndefinedPayloadConverter,
  type Payload,
  type PayloadConverterWithEncoding,
  type SerializationContext,
} from '@temporalio/common';
import { inWorkflowContext, workflowInfo } from '@temporalio/workflow';
import { boundedText, unreadablePayload } from '../shared/entry-gate';

/** A string found in every workflow bundle built with this module. */
export const ENCRYPTED_FAILURES_MARKER = 'nse-flow:failure-attributes-encoded';

/** `encoding` of what a worker's codec gives in place of a payload it cannot open; its data says why, as text. */
export const ENCODING_UNREADABLE = 'binary/nse-flow-unreadable';

/** The SDK loads this export by name from `failureConverterPath`. */
export const failureConverter = Object.defineProperty(
  new DefaultFailureConverter({ encodeCommonAttributes: true }),
  'nseFlowMarker',
  { value: ENCRYPTED_FAILURES_MARKER },
);

/** True when `context` names the workflow whose task is running: the payload is one of its own entries. */
function isOwnEntry(context: SerializationContext | undefined): boolean {
  return context?.type === 'workflow' && inWorkflowContext() && context.workflowId === workflowInfo().workflowId;
}

/** Reads {@link ENCODING_UNREADABLE} payloads (see the module comment); never writes one. */
class UnreadablePayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = ENCODING_UNREADABLE;

  toPayload(): undefined {
    return undefined;
  }

  fromPayload<T>(payload: Payload, context?: SerializationContext): T {
    const reason = boundedText(new TextDecoder().decode(payload.data ?? new Uint8Array()), 300);
    if (isOwnEntry(context)) return unreadablePayload(reason) as T;
    throw new PayloadConverterError(`a payload ${reason}`);
  }
}

/** The SDK loads this export by name from `payloadConverterPath`. */
export const payloadConverter = new CompositePayloadConverter(
  new UndefinedPayloadConverter(),
  new BinaryPayloadConverter(),
  new JsonPayloadConverter(),
  new UnreadablePayloadConverter(),
);

/** Where the SDK finds {@link failureConverter} and {@link payloadConverter}: for the data converter and the bundler. */
export const CONVERTERS_PATH = __filename;
