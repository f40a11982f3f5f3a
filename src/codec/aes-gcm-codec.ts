/**
 * Payload encryption for Temporal: a {@link PayloadCodec} that seals every payload (workflow input and result,
 * activity input and result, memo, query answers, summaries) with AES-256-GCM before it leaves the process, so
 * the Temporal server and its database only ever hold ciphertext. Each payload names the id of the key that
 * sealed it; the active key seals, every configured key opens (key rotation).
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** `encoding` metadata of an encrypted payload. */
export const ENCODING_ENCRYPTED = 'binary/encrypted';
/** Metadata naming the id of the key that sealed the payload. */
export const METADATA_KEY_ID = 'encryption-key-id';
/** Metadata naming the cipher and layout, so a later format can be told apart. */
const METADATA_CIPHER = 'encryption-cipher';
/** The one cipher/layout this codec writes: AES-256-GCM, `iv (12) | ciphertext | tag (16)`, AAD = key id. */
const CIPHER = 'AES-256-GCM';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One AES-256 key and the id stored with what it seals. */
interface CodecKey {
  id: string;
  key: Uint8Array;
}

/** Keys of an {@link AesGcmCodec}: `activeKeyId` seals, all of `keys` open. */
export interface CodecKeyring {
  activeKeyId: string;
  keys: readonly CodecKey[];
}

/** A payload could not be opened (unknown key id, failed authentication, malformed); names the key id, never the key. */
export class CodecError extends Error {
  override name = 'CodecError';
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
  }
}

const text = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes == null ? undefined : Buffer.from(bytes).toString('utf8');

/** True when `payload` was sealed by this codec (its `encoding` is `binary/encrypted`). */
function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCODING_ENCRYPTED;
}

/** AES-256-GCM payload codec with key ids; see the module comment. */
export class AesGcmCodec implements PayloadCodec {
  readonly activeKeyId: string;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(keyring: CodecKeyring) {
    const keys = new Map<string, Buffer>();
    for (const { id, key } of keyring.keys) {
      if (key.length !== 32)
        throw new CodecError(`codec key '${id}' must be 32 bytes (AES-256), got ${key.length}`, id);
      if (keys.has(id)) throw new CodecError(`codec key id '${id}' appears twice`, id);
      keys.set(id, Buffer.from(key));
    }
    if (!keys.has(keyring.activeKeyId)) {
      throw new CodecError(
        `active codec key '${keyring.activeKeyId}' is not among the configured keys`,
        keyring.activeKeyId,
      );
    }
    this.activeKeyId = keyring.activeKeyId;
    this.keys = keys;
  }

  /** Ids of every key that can open payloads. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  /** Opens encrypted payloads; any other payload passes through, so runs from before encryption stay readable. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.open(payload) : payload));
  }

  private seal(payload: Payload): Payload {
    const keyId = this.activeKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId) as Buffer, iv, { authTagLength: TAG_BYTES });
    // The key id is authenticated too: a payload relabelled with another id fails instead of opening.
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: Buffer.from(ENCODING_ENCRYPTED),
        [METADATA_KEY_ID]: Buffer.from(keyId),
        [METADATA_CIPHER]: Buffer.from(CIPHER),
      },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
    if (!keyId) throw new CodecError(`encrypted payload has no '${METADATA_KEY_ID}' metadata`);
    const cipherName = text(payload.metadata?.[METADATA_CIPHER]) ?? CIPHER;
    if (cipherName !== CIPHER) {
      throw new CodecError(
        `payload encrypted with key '${keyId}' uses cipher '${cipherName}'; only ${CIPHER} is supported`,
        keyId,
      );
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new CodecError(
        `payload is encrypted with key '${keyId}', which is not configured (configured key ids: ${this.keyIds.join(', ')}); ` +
          `add key '${keyId}' to NSE_FLOW_CODEC_KEYS to read it`,
        keyId,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new CodecError(`payload encrypted with key '${keyId}' is truncated`, keyId);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecError(
        `payload encrypted with key '${keyId}' failed authentication: the configured key '${keyId}' is not the key ` +
          'it was encrypted with, or the payload was altered',
        keyId,
      );
    }
    const decoded = temporal.api.common.v1.Payload.decode(plaintext);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}
