import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// DNS rebinding, staged: the vetting lookup (dns/promises) hears a public address, the connection's
// own lookup then gets the real one (localhost → 127.0.0.1), as a rebinding name server would answer.
vi.mock('node:dns/promises', async (orig) => {
  const real = await orig<typeof import('node:dns/promises')>();
  return { ...real, lookup: async () => [{ address: '93.184.216.34', family: 4 }] };
});

const { isPrivateAddress, webhookTargetProblem } = await import('../../src/modules/alerts/webhook-target.js');
const { sendAlert } = await import('../../src/modules/alerts/alert-delivery.service.js');

let server: Server;
let port: number;
let hits = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

const alert = {
  seq: 1, id: '01890000-0000-7000-8000-000000000001', type: 't', severity: 'red', event_type: 'e', county_code: null, industry: null,
  project_id: null, company_id: null, owner_key_id: null, message_zh: 'x', message_en: 'x', link: null, data: {}, created_at: new Date(), kind: 'event', transition: null, state_key: null, project_name: null, company_name: null,
};

describe('SSRF', () => {
  it.each(['::7f00:1', '::a00:5', '::a9fe:a9fe', '2002:7f00:1::1', '::ffff:7f00:1'])('IPv4-compatible and embedding forms are private: %s', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });
  it('refuses [::7f00:1] (127.0.0.1 written as an IPv4-compatible address) as a target', async () => {
    expect(await webhookTargetProblem('http://[::7f00:1]:8080/x', false)).toMatch(/private or loopback/);
  });
  it('a name vetted as public but resolving to loopback at connect time is refused at the connect (DNS rebinding)', async () => {
    expect(await webhookTargetProblem(`http://localhost:${port}/x`, false)).toBeNull(); // the vetting was fooled
    const out = await sendAlert(`http://localhost:${port}/x`, 'whsec_' + Buffer.alloc(24, 1).toString('base64'), alert, Date.now(), 3000, false);
    expect(hits).toBe(0);
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/private or loopback/);
  });
  it('the same delivery goes through when private targets are allowed (so the refusal above is the guard)', async () => {
    const out = await sendAlert(`http://localhost:${port}/x`, 'whsec_' + Buffer.alloc(24, 1).toString('base64'), alert, Date.now(), 3000, true);
    expect(out.status).toBe('delivered');
    expect(hits).toBe(1);
  });
});
