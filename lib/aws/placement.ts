/**
 * Which availability zone each AWS VM goes into, and whether its instance type is offered there.
 *
 * The VPC has one public subnet in each of the region's first SANDBOX_ZONES zones (the zones the
 * CDK CLI looks up with EC2 DescribeAvailabilityZones, State "available", and pins in
 * cdk.context.json). VMs take turns across them (subnetIndexFor). Not every instance type is
 * offered in every zone (us-east-1e, or new families, lack many), and EC2 says so only when the
 * instance is created, half-way through a deploy; `dskit preflight` asks EC2 first
 * (DescribeInstanceTypeOfferings, location type availability-zone) and fails naming the VM, the
 * zone and the zones that do offer the type.
 *
 * No aws-cdk-lib here: the CLI uses it and must start fast. The EC2 client is required inside the
 * function, so no other command loads it.
 */
import * as path from 'node:path';
import { displayName, type SandboxConfig } from '../config';
import { CDK_CONTEXT_FILE, readPinnedLookups } from './cdk-context';

/** How many zones (subnets) the sandbox VPC spans. */
export const SANDBOX_ZONES = 2;

/**
 * Which of the VPC's subnets (one per zone) the `index`-th instance (from 1) of the `vmIndex`-th VM
 * entry goes into: an entry's instances take turns across the zones, and each entry starts one zone
 * further, so even single VMs spread. Adding instances or entries at the end moves no existing VM.
 */
export function subnetIndexFor(vmIndex: number, index: number, subnetCount: number): number {
  if (subnetCount < 1) throw new RangeError('subnetIndexFor: no subnets');
  return (vmIndex + index - 1) % subnetCount;
}

export interface VmPlacement {
  readonly displayName: string;
  /** `aws.vms[i]`, for messages. */
  readonly key: string;
  readonly instanceType: string;
  /** Index into the VPC's zones. */
  readonly zoneIndex: number;
}

export function vmPlacements(config: SandboxConfig, zoneCount = SANDBOX_ZONES): VmPlacement[] {
  const out: VmPlacement[] = [];
  (config.aws?.vms ?? []).forEach((vm, vmIndex) => {
    for (let index = 1; index <= vm.count; index++) {
      out.push({
        displayName: displayName(config.name, 'aws', vm.name, index),
        key: `aws.vms[${vmIndex}]`,
        instanceType: vm.instanceType,
        zoneIndex: subnetIndexFor(vmIndex, index, zoneCount),
      });
    }
  });
  return out;
}

/** The same shape as preflight's checks. */
export interface PlacementCheck {
  readonly outcome: 'PASS' | 'FAIL' | 'SKIP';
  readonly check: string;
  readonly detail: string;
  readonly fix?: string;
}

/** What EC2 says; an interface so the logic is tested without an account. */
export interface Ec2Offerings {
  /** The region's zones as the CDK CLI lists them (DescribeAvailabilityZones, State "available"). */
  zones(region: string): Promise<string[]>;
  /** For each zone, which of `types` it offers. */
  offered(region: string, types: readonly string[], zones: readonly string[]): Promise<Map<string, Set<string>>>;
}

const CHECK = 'AWS instance types offered in their zones';

/** One check line per problem (or one PASS): pure, given the zones and what they offer. */
export function offeringChecks(placements: readonly VmPlacement[], zones: readonly string[], offered: ReadonlyMap<string, ReadonlySet<string>>, zonesFrom: string): PlacementCheck[] {
  const used = zones.slice(0, SANDBOX_ZONES);
  const problems: PlacementCheck[] = [];
  for (const p of placements) {
    const zone = used[p.zoneIndex % used.length];
    if (offered.get(zone)?.has(p.instanceType)) continue;
    const elsewhere = used.filter((z) => offered.get(z)?.has(p.instanceType));
    problems.push({
      outcome: 'FAIL',
      check: CHECK,
      detail: `${p.key}.instanceType "${p.instanceType}" is not offered in ${zone}, where ${p.displayName} would go (zones ${used.join(', ')}, ${zonesFrom})`,
      fix: elsewhere.length
        ? `pick an instance type offered in both zones (${p.instanceType} is only in ${elsewhere.join(', ')}); \`aws ec2 describe-instance-type-offerings --location-type availability-zone\` lists them`
        : `${p.instanceType} is offered in neither zone: pick another instance type (aws ec2 describe-instance-type-offerings --location-type availability-zone)`,
    });
  }
  if (problems.length > 0) return problems;
  const types = [...new Set(placements.map((p) => p.instanceType))];
  return [{ outcome: 'PASS', check: CHECK, detail: `${types.join(', ')} offered where the VMs go (${used.join(', ')}, ${zonesFrom})` }];
}

/** The zones cdk.context.json pins for the region (for the config's account, or the only account pinned). */
export function pinnedZones(cwd: string, region: string, account?: string): string[] | undefined {
  const key = /^availability-zones:account=(\d{12}):region=(.+)$/;
  const matches = Object.entries(readPinnedLookups(cwd)).filter(([k, v]) => {
    const m = key.exec(k);
    return m !== null && m[2] === region && (account === undefined || m[1] === account) && Array.isArray(v);
  });
  return matches.length === 1 ? (matches[0][1] as string[]) : undefined;
}

/** Credentials the SDK would find without probing the instance metadata service. */
function awsCredentialsConfigured(env: NodeJS.ProcessEnv): boolean {
  const home = env.HOME ?? '';
  const fs = require('node:fs') as typeof import('node:fs');
  return Boolean(
    env.AWS_ACCESS_KEY_ID ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
      (home && (fs.existsSync(path.join(home, '.aws', 'credentials')) || fs.existsSync(path.join(home, '.aws', 'config')))),
  );
}

/** EC2 through the AWS SDK, with the usual credential chain; bounded in time. */
export function sdkOfferings(): Ec2Offerings {
  const sdk = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
  const clients = new Map<string, InstanceType<typeof sdk.EC2Client>>();
  const client = (region: string) => {
    let c = clients.get(region);
    if (!c) clients.set(region, (c = new sdk.EC2Client({ region, maxAttempts: 3, requestHandler: { connectionTimeout: 5000, requestTimeout: 15000 } })));
    return c;
  };
  return {
    async zones(region) {
      const r = await client(region).send(new sdk.DescribeAvailabilityZonesCommand({}));
      return (r.AvailabilityZones ?? []).filter((z) => z.State === 'available' && z.ZoneName).map((z) => z.ZoneName!);
    },
    async offered(region, types, zones) {
      const out = new Map<string, Set<string>>(zones.map((z) => [z, new Set<string>()]));
      let token: string | undefined;
      do {
        const page = await client(region).send(
          new sdk.DescribeInstanceTypeOfferingsCommand({
            LocationType: 'availability-zone',
            Filters: [
              { Name: 'location', Values: [...zones] },
              { Name: 'instance-type', Values: [...types] },
            ],
            NextToken: token,
          }),
        );
        for (const o of page.InstanceTypeOfferings ?? []) if (o.Location && o.InstanceType) out.get(o.Location)?.add(o.InstanceType);
        token = page.NextToken || undefined;
      } while (token);
      return out;
    },
  };
}

/** preflight's AWS placement checks: SKIP without credentials, FAIL per VM whose type is not offered in its zone. */
export async function awsPlacementChecks(config: SandboxConfig, cwd: string, env: NodeJS.ProcessEnv, ec2?: Ec2Offerings): Promise<PlacementCheck[]> {
  const aws = config.aws;
  const placements = vmPlacements(config);
  if (!aws || placements.length === 0) return [];
  if (!ec2 && !awsCredentialsConfigured(env)) {
    return [{ outcome: 'SKIP', check: CHECK, detail: 'no AWS credentials configured (AWS_PROFILE, AWS_ACCESS_KEY_ID or ~/.aws); set them to have EC2 check the instance types' }];
  }
  const source = ec2 ?? sdkOfferings();
  try {
    const pinned = pinnedZones(cwd, aws.region, aws.account);
    const zones = pinned ?? (await source.zones(aws.region));
    if (zones.length === 0) return [{ outcome: 'FAIL', check: CHECK, detail: `EC2 lists no available zone in ${aws.region}` }];
    const used = zones.slice(0, SANDBOX_ZONES);
    const offered = await source.offered(aws.region, [...new Set(placements.map((p) => p.instanceType))], used);
    return offeringChecks(placements, zones, offered, pinned ? `pinned in ${CDK_CONTEXT_FILE}` : 'as EC2 lists them now');
  } catch (err) {
    return [{ outcome: 'FAIL', check: CHECK, detail: `EC2 could not be asked: ${(err as Error).message}`, fix: 'check the AWS credentials and that they may call ec2:DescribeAvailabilityZones and ec2:DescribeInstanceTypeOfferings' }];
  }
}
