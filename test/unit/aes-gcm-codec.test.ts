/**
 * AesGcmCodec: payloads round-trip, ciphertext hides the plaintext, key rotation, and clear failures for an unknown
 * key id, the wrong key, a tampered or relabelled payload.
 */
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, CodecError, ENCODING_ENCRYPTED, METADATA_KEY_ID } from '../../src/codec';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const plain = defaultPayloadConverter.toPayload({ name: 'customer-db-volume', size_gb: 100 });
const text = (bytes?: Uint8Array | null): string => Buffer.from(bytes ?? []).toString('utf8');

async function failure(promise: Promise<unknown>): Promise<CodecError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(CodecError);
  return error as CodecError;
}

describe('AesGcmCodec', () => {
  const codec = new AesGcmCodec({ activeKeyId: 'k1', keys: [k1] });

  it('seals a payload into binary/encrypted with the key id, and opens it back unchanged', async () => {
    const [sealed] = (await codec.encode([plain])) as [Payload];
    expect(text(sealed.metadata?.encoding)).toBe(ENCODING_ENCRYPTED);
    expect(text(sealed.metadata?.[METADATA_KEY_ID])).toBe('k1');
    expect(Buffer.from(sealed.data ?? []).includes('customer-db-volume')).toBe(false);
    const [opened] = (await codec.decode([sealed])) as [Payload];
    expect(defaultPayloadConverter.fromPayload(opened)).toEqual({ name: 'customer-db-volume', size_gb: 100 });
    expect(text(opened.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV each time', async () => {
    const [a, b] = (await codec.encode([plain, plain])) as [Payload, Payload];
    expect(Buffer.from(a.data ?? []).equals(Buffer.from(b.data ?? []))).toBe(false);
  });

  it('lets unencrypted payloads through decode', async () => {
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('after rotation seals with the new key and still opens what the old key sealed', async () => {
    const [old] = (await codec.encode([plain])) as [Payload];
    const rotated = new AesGcmCodec({ activeKeyId: 'k2', keys: [k2, k1] });
    const [fresh] = (await rotated.encode([plain])) as [Payload];
    expect(text(fresh.metadata?.[METADATA_KEY_ID])).toBe('k2');
    const opened = await rotated.decode([old, fresh]);
    expect(opened.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { name: 'customer-db-volume', size_gb: 100 },
      { name: 'customer-db-volume', size_gb: 100 },
    ]);
  });

  it('names the key id of a payload sealed with a key it does not have, never the key', async () => {
    const [sealed] = (await codec.encode([plain])) as [Payload];
    const error = await failure(new AesGcmCodec({ activeKeyId: 'k2', keys: [k2] }).decode([sealed]));
    expect(error.keyId).toBe('k1');
    expect(error.message).toContain("encrypted with key 'k1', which is not configured (configured key ids: k2)");
    for (const key of [k1.key, k2.key]) expect(error.message).not.toContain(key.toString('base64'));
  });

  it('fails authentication with the wrong key under the same id, or a tampered payload', async () => {
    const [sealed] = (await codec.encode([plain])) as [Payload];
    const impostor = new AesGcmCodec({ activeKeyId: 'k1', keys: [{ id: 'k1', key: randomBytes(32) }] });
    expect((await failure(impostor.decode([sealed]))).message).toContain(
      "payload encrypted with key 'k1' failed authentication",
    );
    const data = Buffer.from(sealed.data ?? []);
    data[20] = (data[20] as number) ^ 1;
    expect((await failure(codec.decode([{ ...sealed, data }]))).message).toContain('failed authentication');
  });

  it('refuses a payload relabelled with another configured key id', async () => {
    const both = new AesGcmCodec({ activeKeyId: 'k1', keys: [k1, k2] });
    const [sealed] = (await both.encode([plain])) as [Payload];
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, [METADATA_KEY_ID]: Buffer.from('k2') } };
    expect((await failure(both.decode([relabelled]))).message).toContain("key 'k2' failed authentication");
  });

  it('rejects a keyring whose active key is missing or whose key is not 32 bytes', () => {
    expect(() => new AesGcmCodec({ activeKeyId: 'k9', keys: [k1] })).toThrow("active codec key 'k9'");
    expect(() => new AesGcmCodec({ activeKeyId: 'k1', keys: [{ id: 'k1', key: randomBytes(16) }] })).toThrow(
      'must be 32 bytes',
    );
  });
});
