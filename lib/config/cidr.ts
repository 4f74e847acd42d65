/**
 * IPv4 CIDR checks: syntax, host bits, and the prefix lengths each cloud (and dskit's own
 * subnet layout) accepts, so a range the cloud would refuse, or that CDK cannot split, is one
 * config error instead of a crash inside synth or a failed deploy.
 */

export interface Cidr {
  /** The address as a 32-bit unsigned number. */
  readonly address: number;
  readonly prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { address: octets.reduce((a, o) => a * 256 + o, 0), prefix };
}

const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** `10.60.0.0/16` for `10.60.1.7/16`: the network the user most likely meant. */
export function networkOf(c: Cidr): string {
  return `${dotted((c.address & mask(c.prefix)) >>> 0)}/${c.prefix}`;
}

/** A problem with host bits set (`10.60.1.7/16`), naming the network address meant. */
export function hostBitsProblem(text: string): string | undefined {
  const c = parseCidr(text);
  if (!c || ((c.address & mask(c.prefix)) >>> 0) === c.address) return undefined;
  return `has host bits set; did you mean ${networkOf(c)}?`;
}

const within = (c: Cidr, block: string): boolean => {
  const b = parseCidr(block)!;
  return c.prefix >= b.prefix && ((c.address & mask(b.prefix)) >>> 0) === b.address;
};

export interface PrefixRule {
  /** Largest network allowed (smallest prefix length). */
  readonly largest: number;
  /** Smallest network allowed (largest prefix length). */
  readonly smallest: number;
  /** Why, with the source: shown in the error. */
  readonly why: string;
}

/**
 * `aws.vpcCidr`. The EC2 CreateVpc API reference: "The smallest VPC you can create uses a /28
 * netmask (16 IP addresses), and the largest uses a /16 netmask (65,536 IP addresses)". dskit's
 * VPC (lib/aws/network.ts) puts a /24 public subnet in each of 2 availability zones, so the VPC
 * must hold two /24s: /23 at the smallest. test/config/cloud-checks.test.ts synthesizes a /23.
 */
export const AWS_VPC_PREFIX: PrefixRule = {
  largest: 16,
  smallest: 23,
  why: 'AWS allows a VPC of /16 to /28 and dskit puts a /24 subnet in each of 2 availability zones, so /16 to /23',
};

/**
 * `gcp.subnetCidr`: dskit's single subnet. Google's VPC docs (https://cloud.google.com/vpc/docs/subnets,
 * "IPv4 subnet ranges") allow a primary range of /29 at the smallest; dskit takes /8 at the largest.
 */
export const GCP_SUBNET_PREFIX: PrefixRule = {
  largest: 8,
  smallest: 29,
  why: 'a Compute Engine subnet primary range is /8 to /29',
};

/**
 * Ranges a VPC or subnet may not use: "this network", loopback, link-local (the metadata
 * servers live at 169.254.169.254) and multicast/reserved (RFC 6890). Google lists them as
 * prohibited subnet ranges (same page); they cannot work as a VPC's private range on AWS either.
 */
const RESERVED = [
  ['0.0.0.0/8', '"this network"'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local, where the metadata servers live'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
] as const;

/** One problem with a VPC or subnet range, or undefined. */
export function networkRangeProblem(text: string, rule: PrefixRule): string | undefined {
  const c = parseCidr(text);
  if (!c) return undefined; // the schema's pattern says so
  if (c.prefix < rule.largest || c.prefix > rule.smallest) return `prefix /${c.prefix} is out of range: ${rule.why}`;
  const hostBits = hostBitsProblem(text);
  if (hostBits) return hostBits;
  for (const [block, what] of RESERVED) {
    if (within(c, block)) return `is inside ${block} (${what}), which no VPC may use; use a private range such as 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`;
  }
  return undefined;
}

/** `0.0.0.0/0` and anything else that admits the whole internet. */
export function isWholeInternet(text: string): boolean {
  return parseCidr(text)?.prefix === 0;
}
