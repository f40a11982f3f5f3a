/**
 * Payload encryption wiring shared by the worker, the client library and the codec server.
 * @module
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, type CodecKeyring } from './aes-gcm-codec';
import { CONVERTERS_PATH } from './converters';

export { ENCRYPTED_FAILURES_MARKER } from './converters';

export { AesGcmCodec, CodecError, ENCODING_ENCRYPTED, METADATA_KEY_ID, type CodecKeyring } from './aes-gcm-codec';

/**
 * The data converter for a keyring: payloads sealed with AES-256-GCM, failure messages and stack traces moved into
 * a payload so they are sealed too; undefined (SDK default) without keys. A worker's (`for: 'worker'`) hands a
 * payload it cannot open to the gate instead of failing the task (src/codec/converters.ts); a client's fails.
 */
export function dataConverterFor(
  keyring: CodecKeyring | undefined,
  options: { for: 'worker' | 'client' } = { for: 'client' },
): DataConverter | undefined {
  if (!keyring) return undefined;
  const worker = options.for === 'worker';
  return {
    payloadCodecs: [new AesGcmCodec(keyring, { markUnreadable: worker })],
    failureConverterPath: CONVERTERS_PATH,
    ...(worker ? { payloadConverterPath: CONVERTERS_PATH } : {}),
  };
}
