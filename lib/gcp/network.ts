import { Construct } from 'constructs';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import type { ExposureConfig } from '../config';
import { IAP_TCP_FORWARDING_RANGE } from './names';

/** Network tags the admin firewall rules target: SSH for Linux VMs, RDP for Windows VMs. */
export const LINUX_TAG = 'dskit-linux';
export const WINDOWS_TAG = 'dskit-windows';

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

export interface SandboxNetworkProps {
  /** Prefix of every resource name: the sandbox name. */
  readonly namePrefix: string;
  readonly region: string;
  /** The subnet's primary range, e.g. `10.61.0.0/24`. */
  readonly subnetCidr: string;
  /** `exposure:` from the config: mode, adminCidrs, honeypotPorts, acknowledgeCloudTerms. */
  readonly exposure: ExposureConfig;
  /** TCP ports the agents open to reach the manager (activation, heartbeat, packages). */
  readonly managerPorts: readonly number[];
  /** @default true — whether any VM runs Linux (opens SSH for admins). */
  readonly hasLinux?: boolean;
  /** @default false — whether any VM runs Windows (opens RDP for admins). */
  readonly hasWindows?: boolean;
}

/**
 * The sandbox's own VPC: one subnet, Cloud NAT when the VMs have no public address, and
 * firewall rules per exposure mode (SPEC §3 `exposure`).
 *
 * - private: ingress only from `adminCidrs` and IAP TCP forwarding, on SSH (Linux) / RDP (Windows).
 * - honeypot: additionally `honeypotPorts` (TCP) from anywhere; refused without `acknowledgeCloudTerms`.
 * - egress: an explicit allow to the manager's ports (the VPC's implied rule allows the rest).
 */
export class SandboxNetwork extends Construct {
  public readonly network: ComputeNetwork;
  public readonly subnet: ComputeSubnetwork;
  /** Present when the VMs have no public address and reach the internet through Cloud NAT. */
  public readonly nat?: ComputeRouterNat;
  /** Whether VMs get an ephemeral public address: honeypot mode, or admins connecting from `adminCidrs`. */
  public readonly publicAddresses: boolean;
  public readonly firewalls: ComputeFirewall[] = [];
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: SandboxNetworkProps) {
    super(scope, id);
    const { exposure, namePrefix } = props;
    validate(props);
    this.namePrefix = namePrefix;

    this.publicAddresses = exposure.mode === 'honeypot' || exposure.adminCidrs.length > 0;

    this.network = new ComputeNetwork(this, 'network', {
      name: `${namePrefix}-vpc`,
      autoCreateSubnetworks: false,
      description: `dskit sandbox ${namePrefix}`,
    });
    this.subnet = new ComputeSubnetwork(this, 'subnet', {
      name: `${namePrefix}-subnet`,
      network: this.network.id,
      region: props.region,
      ipCidrRange: props.subnetCidr,
      // Secret Manager, Cloud Logging and the metadata they need stay on Google's network.
      privateIpGoogleAccess: true,
    });

    if (!this.publicAddresses) {
      // Cloud NAT rather than public addresses: nothing is reachable from the internet, and for a
      // few VMs it costs less than an in-use external IPv4 address per VM.
      const router = new ComputeRouter(this, 'router', { name: `${namePrefix}-router`, network: this.network.id, region: props.region });
      this.nat = new ComputeRouterNat(this, 'nat', {
        name: `${namePrefix}-nat`,
        router: router.name,
        region: props.region,
        natIpAllocateOption: 'AUTO_ONLY',
        sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
        logConfig: { enable: true, filter: 'ERRORS_ONLY' },
      });
    }

    const adminSources = [IAP_TCP_FORWARDING_RANGE, ...exposure.adminCidrs];
    if (props.hasLinux ?? true) {
      this.addIngress('allow-ssh', 'SSH for admins (IAP TCP forwarding and adminCidrs)', adminSources, ['22'], [LINUX_TAG]);
    }
    if (props.hasWindows ?? false) {
      this.addIngress('allow-rdp', 'RDP for admins (IAP TCP forwarding and adminCidrs)', adminSources, ['3389'], [WINDOWS_TAG]);
    }
    if (exposure.mode === 'honeypot') {
      this.addIngress('honeypot', 'Honeypot ports open to the internet', ['0.0.0.0/0'], exposure.honeypotPorts.map(String));
    }

    this.firewalls.push(
      new ComputeFirewall(this, 'allow-manager-egress', {
        name: `${namePrefix}-allow-manager-egress`,
        description: 'Agents reach the Deep Security manager (activation, heartbeats, agent packages)',
        network: this.network.id,
        direction: 'EGRESS',
        destinationRanges: ['0.0.0.0/0'],
        allow: [{ protocol: 'tcp', ports: [...new Set(props.managerPorts)].sort((a, b) => a - b).map(String) }],
      }),
    );
  }

  private addIngress(suffix: string, description: string, sourceRanges: string[], ports: string[], targetTags?: string[]) {
    this.firewalls.push(
      new ComputeFirewall(this, suffix, {
        name: `${this.namePrefix}-${suffix}`,
        description,
        network: this.network.id,
        direction: 'INGRESS',
        sourceRanges,
        targetTags,
        allow: [{ protocol: 'tcp', ports }],
      }),
    );
  }
}

function validate(props: SandboxNetworkProps): void {
  const { exposure } = props;
  if (exposure.mode === 'honeypot' && !exposure.acknowledgeCloudTerms) {
    throw new Error(
      'exposure.acknowledgeCloudTerms: got false with exposure.mode "honeypot"; honeypot mode exposes VMs to the internet, ' +
        'set exposure.acknowledgeCloudTerms: true to confirm the cloud provider terms allow it, or use mode "private"',
    );
  }
  if (exposure.mode === 'honeypot' && exposure.honeypotPorts.length === 0) {
    throw new Error('exposure.honeypotPorts: got []; honeypot mode needs at least one port (e.g. [22, 1433, 3389])');
  }
  if (!IPV4_CIDR.test(props.subnetCidr)) {
    throw new Error(`gcp.subnetCidr: got "${props.subnetCidr}"; allowed: an IPv4 CIDR like 10.61.0.0/24`);
  }
  for (const [i, cidr] of exposure.adminCidrs.entries()) {
    if (!IPV4_CIDR.test(cidr)) throw new Error(`exposure.adminCidrs[${i}]: got "${cidr}"; allowed: an IPv4 CIDR like 203.0.113.0/24`);
  }
  for (const port of props.managerPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`manager port: got ${port}; allowed: 1-65535`);
  }
}
