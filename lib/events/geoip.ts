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
  // `start,end,CC` per line, numbers in decimal: read byte by byte (a third of a million lines).
  const bytes = fs.readFileSync(packageFile('geo-whois-asn-country-ipv4-num.csv'));
  const capacity = 1 + bytes.length / 16;
  const starts = new Float64Array(capacity);
  const ends = new Float64Array(capacity);
  const codes = new Uint16Array(capacity);
  const names: string[] = [];
  const index = new Map<number, number>();
  let n = 0;
  let i = 0;
  while (i < bytes.length && n < capacity) {
    let a = 0;
    while (bytes[i] >= 48 && bytes[i] <= 57) a = a * 10 + (bytes[i++] - 48);
    if (bytes[i] !== 44) break;
    i++;
    let b = 0;
    while (bytes[i] >= 48 && bytes[i] <= 57) b = b * 10 + (bytes[i++] - 48);
    if (bytes[i] !== 44) break;
    i++;
    const key = (bytes[i] << 8) | bytes[i + 1];
    let c = index.get(key);
    if (c === undefined) {
      c = names.length;
      names.push(String.fromCharCode(bytes[i], bytes[i + 1]));
      index.set(key, c);
    }
    while (i < bytes.length && bytes[i] !== 10) i++;
    i++;
    starts[n] = a;
    ends[n] = b;
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

/** A dotted IPv4 address as a number, or -1 (leading zeros and out-of-range parts refused, as net.isIP does). */
function v4Number(ip: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      digits += 1;
      if (digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0) return -1;
      value = value * 256 + part;
      parts += 1;
      part = 0;
      digits = 0;
    } else return -1;
  }
  return parts === 4 ? value : -1;
}

/** The two-letter country code of an address, or null (unknown, private, or not an address). */
export function countryOf(ip: string): string | null {
  const n = v4Number(ip);
  if (n >= 0) {
    const r = loadV4();
    const i = search(r.starts, r.ends, n);
    return i < 0 ? null : r.names[r.codes[i]];
  }
  if (net.isIP(ip) === 6) {
    const r = loadV6();
    const i = search(r.starts, r.ends, v6Number(ip.toLowerCase()));
    return i < 0 ? null : r.codes[i];
  }
  return null;
}
