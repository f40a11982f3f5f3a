/**
 * Requests in the forms the NSE docs' own examples use (issue #14 point 9): `vlan_id` as a string ("881") and
 * `cifs_dns_servers` as a string. The client's operation schemas accept them and send them as the caller gave them;
 * the simulator accepts the same, so neither side's assumption hides the other's gap.
 */
import { buildRequest, findOperation } from '../../src/shared/operations';
import { api, build, closeAll, F } from '../helpers/simulator-http';

afterEach(closeAll);

const spec = (name: string) => {
  const found = findOperation(name);
  if (!found) throw new Error(`no operation ${name}`);
  return found;
};

const gen1Blockstore = (vlan: unknown) => ({
  subtenant_id: F.subtenantId,
  zone: F.zone,
  subnet: '10.30.0.0/24',
  vlan_id: vlan,
});

describe('vlan_id as the docs write it', () => {
  it.each(['881', '1', '4094', 881])(
    'the client accepts %p and the simulator creates the block store with it',
    async (vlan) => {
      const create = spec('create-blockstore');
      const request = buildRequest(create, create.schema.parse(gen1Blockstore(vlan)) as Record<string, unknown>);
      expect((request.body as Record<string, unknown>).vlan_id).toBe(vlan);
      const app = build();
      const res = await api(app, request.method, request.path, request.body);
      expect(res.status).toBe(202);
      const record = await api(app, 'GET', `/v2.1/blockstores/${res.record.object_id as string}`);
      expect(record.record.vlan_id).toBe(vlan);
    },
  );

  it.each(['0', '0881', '4095', 'vlan-1', '', ' 881'])('the client and the simulator refuse %p', async (vlan) => {
    expect(spec('create-blockstore').schema.safeParse(gen1Blockstore(vlan)).success).toBe(false);
    const res = await api(build(), 'POST', '/v2.1/blockstores', gen1Blockstore(vlan));
    expect(res.status).toBe(400);
    expect(res.json.status.user_message).toContain('vlan_id');
  });
});

describe('cifs_dns_servers as the docs write it', () => {
  it('the client accepts a string or a list and sends it unchanged', () => {
    const create = spec('create-fileserver');
    for (const servers of ['10.0.0.2', '10.0.0.2,10.0.0.3', ['10.0.0.2', '10.0.0.3']]) {
      const input = create.schema.parse({
        name: 'fs-dns',
        subtenant_id: F.subtenantId,
        zone: F.zone,
        subnet_id: F.subnetId,
        cifs_dns_servers: servers,
      }) as Record<string, unknown>;
      expect((buildRequest(create, input).body as Record<string, unknown>).cifs_dns_servers).toEqual(servers);
    }
  });

  it('the simulator creates a CIFS file server with the DNS servers as a string, as the docs show', async () => {
    const app = build();
    const res = await api(app, 'POST', '/v2.1/fileservers', {
      name: 'fs-cifs-string',
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet: '10.40.0.0/24',
      vlan_id: '881',
      cifs_enabled: true,
      cifs_ad_password: 'ad-Secret-789',
      cifs_domain: 'corp.example',
      cifs_dns_servers: '10.0.0.2',
      cifs_server_name: 'FS03',
    });
    expect(res.status).toBe(202);
    const record = await api(app, 'GET', `/v2.1/fileservers/${res.record.object_id as string}`);
    expect(record.record).toMatchObject({ cifs_dns_servers: '10.0.0.2', vlan_id: '881' });
  });
});
