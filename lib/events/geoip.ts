/**
 * Source countries, offline: the IP-to-country ranges of the npm package
 * `@ip-location-db/geo-whois-asn-country` (package CC0; its data from the NRO's statistics,
 * CC BY 4.0, attribution to nro.net, which the docs and the HTML report give). Read on first use
 * (about 330,000 IPv4 ranges; the IPv6 file only when a source is IPv6), looked up once per
 * distinct source address.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const GEOIP_ATTRIBUTION = 'Country data: ip-location-db geo-whois-asn-country (CC0), from NRO statistics (CC BY 4.0, nro.net)';

interface Ranges {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly codes: Uint16Array;
  readonly names: string[];
}

interface Ranges6 {
  readonly starts: bigint[];
  readonly ends: bigint[];
  readonly codes: string[];
}

function packageFile(name: string): string {
  return path.join(path.dirname(require.resolve('@ip-location-db/geo-whois-asn-country/package.json')), name);
}

let v4: Ranges | null = null;
let v6: Ranges6 | null = null;

function loadV4(): Ranges {
  if (v4) return v4;
  const text = fs.readFileSync(packageFile('geo-whois-asn-country-ipv4-num.csv'), 'latin1');
  const lines = text.split('\n');
  const starts = new Float64Array(lines.length);
  const ends = new Float64Array(lines.length);
  const codes = new Uint16Array(lines.length);
  const names: string[] = [];
  const index = new Map<string, number>();
  let n = 0;
  for (const line of lines) {
    const a = line.indexOf(',');
    const b = line.indexOf(',', a + 1);
    if (a < 0 || b < 0) continue;
    const code = line.slice(b + 1).trim();
    let c = index.get(code);
    if (c === undefined) {
      c = names.length;
      names.push(code);
      index.set(code, c);
    }
    starts[n] = Number(line.slice(0, a));
    ends[n] = Number(line.slice(a + 1, b));
    codes[n] = c;
    n++;
  }
  v4 = { starts: starts.subarray(0, n), ends: ends.subarray(0, n), codes: codes.subarray(0, n), names };
  return v4;
}

function v6Number(ip: string): bigint {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === null ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

function loadV6(): Ranges6 {
  if (v6) return v6;
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  const codes: string[] = [];
  for (const line of fs.readFileSync(packageFile('geo-whois-asn-country-ipv6.csv'), 'latin1').split('\n')) {
    const [a, b, c] = line.split(',');
    if (!c) continue;
    starts.push(v6Number(a));
    ends.push(v6Number(b));
    codes.push(c.trim());
  }
  v6 = { starts, ends, codes };
  return v6;
}

function search<T extends number | bigint>(starts: ArrayLike<T>, ends: ArrayLike<T>, x: T): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] > x) hi = mid - 1;
    else if (ends[mid] < x) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** The two-letter country code of an address, or null (unknown, private, or not an address). */
export function countryOf(ip: string): string | null {
  const kind = net.isIP(ip);
  if (kind === 4) {
    const r = loadV4();
    const [a, b, c, d] = ip.split('.').map(Number);
    const i = search(r.starts, r.ends, ((a * 256 + b) * 256 + c) * 256 + d);
    return i < 0 ? null : r.names[r.codes[i]];
  }
  if (kind === 6) {
    const r = loadV6();
    const i = search(r.starts, r.ends, v6Number(ip.toLowerCase()));
    return i < 0 ? null : r.codes[i];
  }
  return null;
}
