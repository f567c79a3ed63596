import { lookup as lookupCb, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';

/**
 * SSRF guard for subscription URLs: refuse loopback, private, link-local, CGNAT, multicast and other
 * non-public targets, for IP literals AND for every address the host name resolves to (checked again
 * at each delivery, so a DNS change after registration does not open a hole). A delivery then connects
 * through `guardedDispatcher`, whose DNS lookup applies the same check to the very addresses it
 * connects to: a name that answered a public address to the check and a private one to the connect
 * (DNS rebinding) is refused at the connect.
 */
const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, bits, 'ipv4');
// ::/96 = unspecified, loopback and the deprecated IPv4-compatible addresses (::7f00:1 is 127.0.0.1);
// ::ffff:0:0/96 (IPv4-mapped) is checked against the IPv4 rules by BlockList itself. 2002::/16 (6to4)
// and 2001::/32 (Teredo) embed an IPv4 address too; no webhook receiver needs them.
for (const [net, bits] of [['::', 96], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32], ['2002::', 16], ['2001::', 32], ['100::', 64]] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv6');
}

export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return BLOCKED.check(ip, 'ipv4');
  if (v === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
    return BLOCKED.check(ip, 'ipv6');
  }
  return true; // not an address at all: refuse
}

/** Returns a reason when the URL may not be used as a webhook target, or null when it may. */
export async function webhookTargetProblem(raw: string, allowPrivate: boolean): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'only http and https URLs are accepted';
  if (u.username || u.password) return 'credentials in the URL are not accepted';
  if (allowPrivate) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      return `host ${host} does not resolve`;
    }
  }
  if (addresses.length === 0) return `host ${host} does not resolve`;
  const bad = addresses.find(isPrivateAddress);
  return bad ? `target resolves to a private or loopback address (${bad})` : null;
}

/** A DNS lookup that refuses (for every address it returns) what `isPrivateAddress` refuses. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    lookupCb(hostname, { family: options.family === 'IPv6' ? 6 : options.family === 'IPv4' ? 4 : Number(options.family ?? 0) as 0 | 4 | 6, all: true, verbatim: true }, (err, addresses) => {
      if (err) return cb(err, '');
      const list = addresses as LookupAddress[];
      const bad = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad || list.length === 0) {
        return cb(Object.assign(new Error(`refused: ${hostname} resolves to a private or loopback address (${bad?.address ?? 'none'})`), { code: 'EPRIVATETARGET' }), '');
      }
      if (options.all) cb(null, list);
      else cb(null, list[0]!.address, list[0]!.family);
    });
  };
}

const dispatchers = new Map<boolean, Agent>();
/** The connection pool deliveries go through: its lookup re-checks every address it connects to. */
export function guardedDispatcher(allowPrivate: boolean): Agent {
  let d = dispatchers.get(allowPrivate);
  if (!d) dispatchers.set(allowPrivate, (d = new Agent({ connect: { lookup: guardedLookup(allowPrivate) } })));
  return d;
}
