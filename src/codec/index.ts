/**
 * Payload encryption wiring shared by the worker, the client library and the codec server.
 * @module
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, type CodecKeyring } from './aes-gcm-codec';

export {
  AesGcmCodec,
  CodecError,
  isEncrypted,
  ENCODING_ENCRYPTED,
  METADATA_KEY_ID,
  type CodecKey,
  type CodecKeyring,
} from './aes-gcm-codec';

/** The data converter for a keyring: payloads sealed with AES-256-GCM; undefined (SDK default) without keys. */
export function dataConverterFor(keyring: CodecKeyring | undefined): DataConverter | undefined {
  return keyring ? { payloadCodecs: [new AesGcmCodec(keyring)] } : undefined;
}
