/**
 * The payload codec's keys from the environment (NSE_FLOW_CODEC_KEYS, NSE_FLOW_CODEC_KEYS_FILE,
 * NSE_FLOW_CODEC_ACTIVE_KEY): what the worker, the client library and the codec server read alike, apart from the
 * worker's own configuration (src/config.ts) so the client library does not load it.
 * @module
 */
import { ConfigError, readSecretFile } from '../config-error';

/** One AES-256 key of the payload codec; `id` is stored with every payload it encrypts, the key never is. */
interface CodecKey {
  id: string;
  key: Buffer;
}

/** The payload-encryption keys: `activeKeyId` encrypts, every key decrypts (rotation). */
export interface CodecConfig {
  activeKeyId: string;
  keys: CodecKey[];
}

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses `id1:base64key,id2:base64key` (commas or new lines; `#` starts a comment line). Every key must be 32
 * bytes (AES-256). Error messages name the variable and the key id, never key material.
 */
function parseCodecKeys(text: string, variable: string): CodecKey[] {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  if (entries.length === 0) throw new ConfigError(`${variable}: no keys; expected ID:BASE64KEY[,ID:BASE64KEY...]`);
  const keys: CodecKey[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new ConfigError(`${variable}: entry ${index + 1} is not ID:BASE64KEY`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new ConfigError(`${variable}: key id of entry ${index + 1} must be 1-64 letters, digits, '.', '_' or '-'`);
    }
    if (keys.some((k) => k.id === id)) throw new ConfigError(`${variable}: key id '${id}' appears twice`);
    if (!BASE64.test(encoded)) throw new ConfigError(`${variable}: key '${id}' is not valid base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) {
      throw new ConfigError(`${variable}: key '${id}' must be 32 bytes (AES-256), got ${key.length}`);
    }
    keys.push({ id, key });
  });
  return keys;
}

/**
 * The payload codec keys from NSE_FLOW_CODEC_KEYS or NSE_FLOW_CODEC_KEYS_FILE, and NSE_FLOW_CODEC_ACTIVE_KEY
 * (default: the first key listed). Undefined when no keys are configured: encryption is off.
 */
export function loadCodecConfig(env: NodeJS.ProcessEnv = process.env): CodecConfig | undefined {
  const blank = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);
  const inline = blank(env.NSE_FLOW_CODEC_KEYS);
  const file = blank(env.NSE_FLOW_CODEC_KEYS_FILE);
  const active = blank(env.NSE_FLOW_CODEC_ACTIVE_KEY)?.trim();
  if (inline && file) {
    throw new ConfigError(
      'NSE_FLOW_CODEC_KEYS_FILE: set either NSE_FLOW_CODEC_KEYS or NSE_FLOW_CODEC_KEYS_FILE, not both',
    );
  }
  if (!inline && !file) {
    if (active)
      throw new ConfigError('NSE_FLOW_CODEC_ACTIVE_KEY: set, but no NSE_FLOW_CODEC_KEYS or NSE_FLOW_CODEC_KEYS_FILE');
    return undefined;
  }
  const keys = inline
    ? parseCodecKeys(inline, 'NSE_FLOW_CODEC_KEYS')
    : parseCodecKeys(readSecretFile('NSE_FLOW_CODEC_KEYS_FILE', file as string), 'NSE_FLOW_CODEC_KEYS_FILE');
  const activeKeyId = active ?? (keys[0] as CodecKey).id;
  if (!keys.some((k) => k.id === activeKeyId)) {
    const ids = keys.map((k) => k.id).join(', ');
    throw new ConfigError(`NSE_FLOW_CODEC_ACTIVE_KEY: no key with id '${activeKeyId}' (configured ids: ${ids})`);
  }
  return { activeKeyId, keys };
}
