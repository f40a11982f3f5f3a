import { isSecretKey, REDACTED, redactSecrets, SECRET_KEY_PATTERN } from '../../src/shared/redact';

describe('redactSecrets', () => {
  it('replaces secrets at any depth, arrays included', () => {
    const job = {
      id: 'j1',
      job_tasks: [
        { id: 't1', request_payload: { org_username: 'root', org_password: 'netapp01', grid_url: 'https://g' } },
      ],
    };
    expect(redactSecrets(job)).toEqual({
      id: 'j1',
      job_tasks: [
        { id: 't1', request_payload: { org_username: 'root', org_password: REDACTED, grid_url: 'https://g' } },
      ],
    });
  });

  it.each([
    'password',
    'org_password',
    'new_password',
    'passwd',
    'passphrase',
    'secret',
    'client_secret',
    'token',
    'refreshToken',
    'credentials',
    'Authorization',
    'access_key',
    'secret_key',
    'api_key',
    'apiKey',
    'private_key',
    'privateKey',
    'ssh-key',
    'cookie',
  ])('redacts the value of %s', (key) => {
    expect(isSecretKey(key)).toBe(true);
    expect(redactSecrets({ [key]: 'x' })).toEqual({ [key]: REDACTED });
  });

  it.each(['key', 'Key', 'value', 'name', 'username', 'org_username', 'access_key_id', 'passive', 'keystone', 'id'])(
    'keeps the value of %s',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
      expect(redactSecrets({ [key]: 'x', value: 'y' })).toEqual({ [key]: 'x', value: 'y' });
    },
  );

  it('keeps NSE tag pairs, whose `key` is a tag name', () => {
    const tags = [
      { key: 'env', value: 'prod' },
      { key: 'owner', value: 'storage-team' },
    ];
    expect(redactSecrets({ tags })).toEqual({ tags });
  });

  it('replaces a whole secret object, not only its strings', () => {
    expect(redactSecrets({ credentials: { user: 'u', pass: 'p' } })).toEqual({ credentials: REDACTED });
  });

  it('leaves null and undefined secrets as they are', () => {
    expect(redactSecrets({ password: null, token: undefined })).toEqual({ password: null, token: undefined });
  });

  it('returns a copy and leaves its input untouched', () => {
    const input = { nested: { password: 'p', list: [1, { token: 't' }] } };
    const output = redactSecrets(input);
    expect(input).toEqual({ nested: { password: 'p', list: [1, { token: 't' }] } });
    expect(output.nested).not.toBe(input.nested);
    expect(output.nested.list).not.toBe(input.nested.list);
  });

  it('returns primitives unchanged', () => {
    expect(redactSecrets('password')).toBe('password');
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets(undefined)).toBeUndefined();
  });

  it('copies cycles as cycles instead of recursing forever', () => {
    const node: Record<string, unknown> = { name: 'a', password: 'p' };
    node.self = node;
    node.list = [node];
    const copy = redactSecrets(node);
    expect(copy.password).toBe(REDACTED);
    expect(copy.self).toBe(copy);
    expect((copy.list as unknown[])[0]).toBe(copy);
    expect(copy).not.toBe(node);
  });

  it('keeps a __proto__ key as a plain property without touching any prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true, "token": "t"}, "a": 1}') as Record<string, unknown>;
    const copy = redactSecrets(input);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(copy, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ polluted: true, token: REDACTED });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('keeps non-plain objects by reference', () => {
    const when = new Date(0);
    expect(redactSecrets({ when }).when).toBe(when);
  });

  it('exports a stateless pattern the logger can reuse', () => {
    expect(SECRET_KEY_PATTERN.flags).not.toContain('g');
    expect(SECRET_KEY_PATTERN.test('password')).toBe(true);
    expect(SECRET_KEY_PATTERN.test('password')).toBe(true);
  });
});
