/**
 * Payload encryption wiring shared by the worker, the client library and the codec server.
 * @module
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, type CodecKeyring } from './aes-gcm-codec';
import { FAILURE_CONVERTER_PATH } from './failure-converter';

export { ENCRYPTED_FAILURES_MARKER } from './failure-converter';

export { AesGcmCodec, CodecError, ENCODING_ENCRYPTED, METADATA_KEY_ID, type CodecKeyring } from './aes-gcm-codec';

/**
 * The data converter for a keyring: payloads sealed with AES-256-GCM, failure messages and stack traces moved into
 * a payload so they are sealed too; undefined (SDK default) without keys.
 */
export function dataConverterFor(keyring: CodecKeyring | undefined): DataConverter | undefined {
  return keyring
    ? { payloadCodecs: [new AesGcmCodec(keyring)], failureConverterPath: FAILURE_CONVERTER_PATH }
    : undefined;
}
