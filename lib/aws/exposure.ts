/**
 * Who may reach the VMs (SPEC §3 `exposure`): one security group per platform, because the admin
 * port differs (SSH for Linux, RDP for Windows).
 *
 * - `private`: no ingress at all except `adminCidrs` on the admin port; admins otherwise use SSM
 *   Session Manager, which needs no ingress.
 * - `honeypot`: `honeypotPorts` open to the whole internet (TCP), which the cloud's terms must allow,
 *   hence the explicit acknowledgement.
 */
import { Annotations, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { ExposureConfig } from '../config';
import type { ScriptPlatform } from '../agent';

export const ADMIN_PORT: Readonly<Record<ScriptPlatform, number>> = { linux: 22, windows: 3389 };

export interface ExposureSecurityGroupsProps {
  readonly vpc: ec2.IVpc;
  /** The validated `exposure` section. */
  readonly exposure: ExposureConfig;
  /** The platforms that have VMs; a group is made only for these. */
  readonly platforms: readonly ScriptPlatform[];
  /** Prefix of the groups' descriptions, e.g. the sandbox name. */
  readonly sandbox: string;
}

export class ExposureSecurityGroups extends Construct {
  /** The group of each platform that has VMs. */
  public readonly groups: Readonly<Partial<Record<ScriptPlatform, ec2.SecurityGroup>>>;

  constructor(scope: Construct, id: string, props: ExposureSecurityGroupsProps) {
    super(scope, id);
    const { exposure } = props;
    if (exposure.mode === 'honeypot' && !exposure.acknowledgeCloudTerms) {
      throw new Error(
        'exposure.mode: "honeypot" opens exposure.honeypotPorts to the internet; ' +
          'set exposure.acknowledgeCloudTerms: true to confirm the AWS terms allow it, or use mode: private',
      );
    }
    const groups: Partial<Record<ScriptPlatform, ec2.SecurityGroup>> = {};
    for (const platform of new Set(props.platforms)) {
      const sg = new ec2.SecurityGroup(this, platform === 'linux' ? 'Linux' : 'Windows', {
        vpc: props.vpc,
        description: `dskit ${props.sandbox} ${platform} VMs (${exposure.mode})`,
        // The agents reach the manager, package mirrors and AWS APIs over the internet.
        allowAllOutbound: true,
      });
      const adminPort = ADMIN_PORT[platform];
      for (const cidr of exposure.adminCidrs) {
        sg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(adminPort), `admin access (exposure.adminCidrs)`);
      }
      if (exposure.mode === 'honeypot') {
        for (const port of new Set(exposure.honeypotPorts)) {
          sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `honeypot port (exposure.honeypotPorts)`);
        }
        Annotations.of(sg).addWarningV2('dskit:honeypot', `ports ${exposure.honeypotPorts.join(', ')} are open to the internet`);
        Validations.of(sg).acknowledge({
          id: 'CloudFormation-Validate::W2508',
          reason: 'honeypot mode: admin-style ports (SSH, RDP, SQL) open to the internet are the bait; the user confirmed exposure.acknowledgeCloudTerms',
        });
        Validations.of(sg).acknowledge({
          id: 'AwsSolutions-EC23',
          reason: 'honeypot mode: exposure.honeypotPorts are open to the internet on purpose, to draw attacks for the DS agent to detect; the user confirmed exposure.acknowledgeCloudTerms',
        });
      }
      groups[platform] = sg;
    }
    this.groups = groups;
  }

  /** The group for a platform; throws if no VM of that platform was declared. */
  public forPlatform(platform: ScriptPlatform): ec2.SecurityGroup {
    const sg = this.groups[platform];
    if (!sg) throw new Error(`ExposureSecurityGroups: no ${platform} group; add '${platform}' to props.platforms`);
    return sg;
  }
}
