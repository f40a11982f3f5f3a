import fc from 'fast-check';
import {
  collectSecrets,
  isSecretKey,
  REDACTED,
  redactSecrets,
  rememberSecret,
  scrubText,
  SECRET_KEY_PATTERN,
} from '../../src/common/redact';

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

describe('redaction by value (#15)', () => {
  it.each(['pwd', 'pass', 'org_pass', 'adminPw', 'jwt', 'id_jwt', 'bearer', 'ssh_private_key_data', 'x-auth-token'])(
    'treats %s as a secret key name',
    (key) => {
      expect(isSecretKey(key)).toBe(true);
    },
  );

  it.each(['passive', 'bypass', 'compass', 'passenger_count', 'keystone', 'access_key_id'])(
    'does not treat %s as a secret key name',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );

  it('redacts a bare key that is key material, keeps one that is a tag name', () => {
    expect(redactSecrets({ id: 'k1', key: 'bWF0ZXJpYWw=' })).toEqual({ id: 'k1', key: REDACTED });
    expect(redactSecrets({ key: 'env', value: 'prod' })).toEqual({ key: 'env', value: 'prod' });
  });

  it('collects secrets under secret keys, inside JSON strings and from password pairs in text', () => {
    const secrets = collectSecrets({
      job_tasks: [{ request_payload: JSON.stringify({ org_password: 'inside-json-1', name: 'x' }) }],
      creds: { pass: 'short-pass-2' },
      note: 'connect with password=pair-secret-3 now',
    });
    expect([...secrets]).toEqual(expect.arrayContaining(['inside-json-1', 'short-pass-2', 'pair-secret-3']));
    expect(secrets.has('x')).toBe(false);
  });

  it('scrubs the secrets a record carries from its own free texts', () => {
    const record = {
      last_error: "FAILED! => {'module_args': {'admin_password': 'sim-admin-S3cret'}} for pwd sim-admin-S3cret",
      request_payload: '{"admin_password":"sim-admin-S3cret"}',
    };
    const out = JSON.stringify(redactSecrets(record));
    expect(out).not.toContain('sim-admin-S3cret');
    expect(out).toContain('FAILED!');
  });

  it.each([
    ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl was refused', 'eyJhbGciOiJIUzI1NiJ9'],
    ['a bearer token', 'sent Authorization: Bearer abcdefgh12345678 to NSE', 'abcdefgh12345678'],
    ['a basic credential', 'sent Basic YWRtaW46c2VjcmV0 to NSE', 'YWRtaW46c2VjcmV0'],
    ['URL user-info', 'cannot reach https://admin:hunter2-pw@nse.example/api', 'hunter2-pw'],
    ['a password pair', "module_args: {'org_password': 'a b c', 'name': 'x'}", 'a b c'],
    ['a JSON password pair', '{"api_key":"k-123456"}', 'k-123456'],
  ])('scrubs %s from free text by its shape', (_what, text, secret) => {
    const scrubbed = scrubText(text, new Set());
    expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain(REDACTED);
  });

  it('leaves ordinary words alone', () => {
    const text = 'Basic authentication failed; Token expired.; password required';
    expect(scrubText(text, new Set())).toBe(text);
  });

  it('scrubs a known secret as written, JSON-escaped and URL-encoded', () => {
    const secret = 'p@ss "quoted" /x';
    const text = `a ${secret} b ${JSON.stringify(secret)} c ${encodeURIComponent(secret)}`;
    const scrubbed = scrubText(text, new Set([secret]));
    expect(scrubbed).not.toContain('quoted');
    expect(scrubbed).not.toContain(encodeURIComponent(secret));
  });

  it('scrubs remembered credentials of the process from every text', () => {
    rememberSecret('worker-nse-Password-42');
    expect(scrubText('NSE said: bad login worker-nse-Password-42')).toBe(`NSE said: bad login ${REDACTED}`);
    expect(redactSecrets({ message: 'x worker-nse-Password-42' })).toEqual({ message: `x ${REDACTED}` });
  });

  it('stops at its depth limit instead of exhausting the stack', () => {
    const deep = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000)) as unknown;
    expect(JSON.stringify(redactSecrets({ deep }))).toContain('[too deep]');
    expect(() => collectSecrets(deep)).not.toThrow();
  });
});

describe('the redaction gaps of issue #24', () => {
  const secret = 'Hunter2-Secret';

  it.each([
    ['escaped JSON inside a string', `{"msg": "{\\"org_password\\": \\"${secret}\\", \\"user\\": \\"root\\"}"}`],
    ['an XML element', `<request><user>root</user><password>${secret}</password></request>`],
    ['a command-line option', `ansible-playbook -admin-password ${secret} -v`],
    ['a long option with =', `run --token=${secret} now`],
    ['a sentence naming the password', `login failed: password ${secret} is wrong`],
    ['a quoted password in a sentence', `password '${secret}' was rejected`],
  ])('removes a secret quoted as %s', (_shape, text) => {
    const out = scrubText(text, new Set());
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('keeps the words around a secret and sentences without one', () => {
    expect(scrubText('<user>root</user> password is wrong', new Set())).toBe('<user>root</user> password is wrong');
    expect(scrubText('ansible-playbook -v --limit db01', new Set())).toBe('ansible-playbook -v --limit db01');
    expect(scrubText(`password ${secret} is wrong`, new Set())).toBe(`password ${REDACTED} is wrong`);
  });

  it('removes a PEM private key block whole', () => {
    const pem = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA', 'q1w2e3', '-----END RSA PRIVATE KEY-----'].join(
      '\n',
    );
    const out = scrubText(`key file:\n${pem}\nend`, new Set());
    expect(out).toBe(`key file:\n${REDACTED}\nend`);
  });

  it('finds a known secret percent-encoded in lower case, form-encoded, and in base64', () => {
    const known = new Set(['acme/2024 pw']);
    for (const form of ['acme%2f2024%20pw', 'acme%2F2024+pw', 'acme%2f2024+pw', 'YWNtZS8yMDI0IHB3']) {
      expect(scrubText(`sent ${form} to NSE`, known)).toBe(`sent ${REDACTED} to NSE`);
    }
  });

  it("finds the worker's Basic credential (base64 of user:password) without its Basic prefix", () => {
    rememberSecret(Buffer.from('svc-user:acme2024').toString('base64'));
    const encoded = Buffer.from('svc-user:acme2024').toString('base64');
    expect(scrubText(`the proxy logged ${encoded}`)).toBe(`the proxy logged ${REDACTED}`);
  });

  it.each(['sessionid', 'session_id', 'auth', 'x-auth', 'X-Auth', 'passcode', 'admin_passcode'])(
    'treats %s as a secret key name',
    (name) => {
      expect(isSecretKey(name)).toBe(true);
      expect(redactSecrets({ [name]: 'v4lue-1' })).toEqual({ [name]: REDACTED });
    },
  );

  it.each(['author', 'auth_method', 'authType', 'session', 'passive'])('keeps %s', (name) => {
    expect(isSecretKey(name)).toBe(false);
  });

  it('redacts a secret-keyed value holding a lone surrogate instead of throwing', () => {
    const record = { org_password: 'ab\ud800cd', note: 'ab\ud800cd quoted' };
    expect(redactSecrets(record)).toEqual({ org_password: REDACTED, note: `${REDACTED} quoted` });
  });

  it('never leaves a secret quoted in any of these shapes (property)', () => {
    const value = fc.stringMatching(/^[A-Za-z0-9!#$^*_.~-]{6,24}$/);
    const shapes = [
      (v: string) => `{\\"org_password\\": \\"${v}\\"}`,
      (v: string) => `<password>${v}</password>`,
      (v: string) => `cmd -admin-password ${v} -v`,
      (v: string) => `password ${v} is wrong`,
      (v: string) => `org_password=${v}`,
    ];
    fc.assert(
      fc.property(value, fc.constantFrom(...shapes), fc.string({ maxLength: 20 }), (v, shape, prefix) => {
        const out = scrubText(`${prefix.replace(/[<\\-]/g, '')} ${shape(v)}`, new Set());
        return !out.includes(v);
      }),
      { seed: 24, numRuns: 300 },
    );
  });
});
