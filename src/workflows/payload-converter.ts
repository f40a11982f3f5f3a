/**
 * The worker's payload converter (`payloadConverterPath`, bundled into every workflow bundle): the SDK's default, but
 * a run's own entry whose payload does not convert (not JSON though it says `json/plain`, an encoding no converter
 * knows) becomes a value the gate refuses (src/shared/entry-gate.ts `refuseUnreadable`). The SDK converts a signal's
 * or update's arguments, and a run's input, before any handler or gate sees them; a conversion error there would fail
 * the workflow task on every attempt, and a signal stays in history, so any caller allowed to signal could hold a run.
 * Refused instead: the start fails with `InvalidInput`, the update is refused, the signal is logged and ignored.
 *
 * Only the run's own entries (the serialization context names the workflow whose task is running): an activity's or
 * a child's result comes from the deployment's own workers and still fails as before. Whether a payload converts
 * depends on its bytes only, so replay decides the same. (Encrypted payloads are opened by the codec before this; one
 * the codec cannot open still fails the task: docs/security.md, Known limits.)
 * @module
 */
import {
  DefaultPayloadConverter,
  type ConverterHint,
  type Payload,
  type PayloadConverter,
  type SerializationContext,
} from '@temporalio/common';
import { inWorkflowContext, workflowInfo } from '@temporalio/workflow';
import { unreadablePayload } from '../shared/entry-gate';

/** True when `context` names the workflow whose task is running: the payload is one of its own entries. */
function isOwnEntry(context: SerializationContext | undefined): boolean {
  return context?.type === 'workflow' && inWorkflowContext() && context.workflowId === workflowInfo().workflowId;
}

class EntryPayloadConverter implements PayloadConverter {
  private readonly sdkDefault = new DefaultPayloadConverter();

  toPayload<T>(value: T, context?: SerializationContext, hint?: ConverterHint<T>): Payload {
    return this.sdkDefault.toPayload(value, context, hint);
  }

  fromPayload<T>(payload: Payload, context?: SerializationContext, hint?: ConverterHint<T>): T {
    try {
      return this.sdkDefault.fromPayload<T>(payload, context, hint);
    } catch (err) {
      if (!isOwnEntry(context)) throw err;
      // A fixed text: the parser's message could differ between Node versions.
      return unreadablePayload('could not be read: its payload does not match its encoding') as T;
    }
  }
}

/** The SDK loads this export by name from `payloadConverterPath`. */
export const payloadConverter = new EntryPayloadConverter();

/** Where the SDK finds {@link payloadConverter}: for the worker's data converter and the bundler. */
export const PAYLOAD_CONVERTER_PATH = __filename;
