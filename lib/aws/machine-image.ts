/**
 * OS images without synth-time lookups: every OS that publishes a public SSM parameter is
 * resolved by CloudFormation at deploy time (a stack parameter), so synth needs no credentials.
 * RHEL publishes none; its AMI is found with an EC2 image lookup that the CDK CLI performs with
 * the user's credentials and caches in cdk.context.json.
 */
import { Token, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Arch, AwsOs } from '../config';

export interface OsImageSpec {
  /** Public SSM parameter holding the current AMI id; absent when the OS publishes none. */
  readonly ssmParameter?: string;
  readonly osType: ec2.OperatingSystemType;
  /** The image's root device, so the encrypted root volume replaces it rather than adding a disk. */
  readonly rootDeviceName: string;
  /** Smallest sensible root volume: at least the image's snapshot, room for the agent. */
  readonly rootVolumeGiB: number;
}

const CANONICAL = '/aws/service/canonical/ubuntu/server';
const ubuntuArch = (arch: Arch) => (arch === 'arm64' ? 'arm64' : 'amd64');

/** Red Hat's AMI owner account, for the RHEL lookup. */
export const RED_HAT_OWNER = '309956199498';

export function osImageSpec(os: AwsOs, arch: Arch): OsImageSpec {
  const linux = ec2.OperatingSystemType.LINUX;
  switch (os) {
    case 'amazon-linux-2023':
      return {
        ssmParameter: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch === 'arm64' ? 'arm64' : 'x86_64'}`,
        osType: linux,
        rootDeviceName: '/dev/xvda',
        rootVolumeGiB: 20,
      };
    case 'ubuntu-22.04':
      return { ssmParameter: `${CANONICAL}/22.04/stable/current/${ubuntuArch(arch)}/hvm/ebs-gp2/ami-id`, osType: linux, rootDeviceName: '/dev/sda1', rootVolumeGiB: 20 };
    case 'ubuntu-24.04':
      return { ssmParameter: `${CANONICAL}/24.04/stable/current/${ubuntuArch(arch)}/hvm/ebs-gp3/ami-id`, osType: linux, rootDeviceName: '/dev/sda1', rootVolumeGiB: 20 };
    case 'debian-12':
      return { ssmParameter: `/aws/service/debian/release/12/latest/${ubuntuArch(arch)}`, osType: linux, rootDeviceName: '/dev/xvda', rootVolumeGiB: 20 };
    case 'windows-2022':
      return {
        ssmParameter: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base',
        osType: ec2.OperatingSystemType.WINDOWS,
        rootDeviceName: '/dev/sda1',
        rootVolumeGiB: 50,
      };
    case 'rhel-9':
      return { osType: linux, rootDeviceName: '/dev/sda1', rootVolumeGiB: 20 };
  }
}

/**
 * The machine image of a VM. `keyPath` (e.g. `aws.vms[2].os`) names the config key in errors.
 * Throws when the OS needs a lookup the stack cannot perform (no account in its environment).
 */
export function machineImageFor(stack: Stack, os: AwsOs, arch: Arch, keyPath: string): ec2.IMachineImage {
  const spec = osImageSpec(os, arch);
  if (spec.ssmParameter) return ec2.MachineImage.fromSsmParameter(spec.ssmParameter, { os: spec.osType });
  if (Token.isUnresolved(stack.account)) {
    throw new Error(
      `${keyPath}: "${os}" publishes no public SSM parameter for its AMI, so dskit looks it up with EC2 DescribeImages, ` +
        'which needs an AWS account: set aws.account in sandbox.yaml (or run with AWS credentials so CDK_DEFAULT_ACCOUNT is set), ' +
        'then run `npx cdk synth` once; the AMI found is cached in cdk.context.json (commit it to pin the image, ' +
        '`npx cdk context --reset <key>` to refresh). Without credentials, pick an OS with a public parameter ' +
        '(amazon-linux-2023, ubuntu-22.04, ubuntu-24.04, debian-12, windows-2022).',
    );
  }
  return ec2.MachineImage.lookup({
    name: `RHEL-9.*_HVM-*-${arch === 'arm64' ? 'arm64' : 'x86_64'}-*-Hourly2-*`, // pay-as-you-go, not Cloud Access (BYOS)
    owners: [RED_HAT_OWNER],
    filters: { architecture: [arch === 'arm64' ? 'arm64' : 'x86_64'] },
  });
}
