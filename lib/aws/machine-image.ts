/**
 * OS images, pinned per sandbox in cdk.context.json. Each OS's current image comes from its
 * publisher's public SSM parameter (RHEL publishes none: an EC2 image search of Red Hat's own
 * images), looked up once by the CDK CLI with the user's credentials; synth without credentials
 * still works and produces a template whose deploy is refused until the images are pinned.
 * Resolving the parameter at deploy time instead would replace every VM whenever a new image is
 * released, while the completed activation gates would not wait again.
 */
import { CfnParameter, ContextProvider, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import type { Construct } from 'constructs';
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

/** How a VM's image is found: a public SSM parameter's value, or an EC2 image search (RHEL). */
export interface ImageLookup {
  readonly provider: string;
  readonly props: Record<string, unknown>;
  /** What the lookup is, for messages. */
  readonly description: string;
}

/** The context lookup that resolves an OS image (the same providers the CDK's own lookups use). */
export function imageLookup(os: AwsOs, arch: Arch): ImageLookup {
  const spec = osImageSpec(os, arch);
  if (spec.ssmParameter) {
    return { provider: cxschema.ContextProvider.SSM_PARAMETER_PROVIDER, props: { parameterName: spec.ssmParameter }, description: `SSM parameter ${spec.ssmParameter}` };
  }
  const cpu = arch === 'arm64' ? 'arm64' : 'x86_64';
  return {
    provider: cxschema.ContextProvider.AMI_PROVIDER,
    props: {
      owners: [RED_HAT_OWNER],
      // Pay-as-you-go (Hourly2), not Cloud Access (BYOS); the newest match wins.
      filters: { name: [`RHEL-9.*_HVM-*-${cpu}-*-Hourly2-*`], state: ['available'], 'image-type': ['machine'], architecture: [cpu] },
    },
    description: `the newest Red Hat (owner ${RED_HAT_OWNER}) RHEL-9 pay-as-you-go ${cpu} AMI`,
  };
}

/** Marks a lookup the CDK CLI has not done yet; never a valid AMI id. */
const NOT_PINNED = 'dskit-image-not-pinned';

export interface PinnedImage {
  readonly machineImage: ec2.IMachineImage;
  /** The AMI id from cdk.context.json; undefined when it is not pinned yet. */
  readonly imageId?: string;
  /** The cdk.context.json key it is pinned under (undefined in an environment-agnostic stack). */
  readonly contextKey?: string;
  /** Set when no image is pinned: why, and what to do (a deploy blocker). */
  readonly problem?: string;
}

/**
 * A VM's image, pinned per sandbox the way the CDK pins its lookups: resolved once by the CDK CLI
 * (`cdk synth` / `cdk deploy` with credentials) and kept in cdk.context.json under a key that
 * names the sandbox (`additionalCacheKey`), so a new image release never replaces the VMs on its
 * own, and two sandboxes can move to a new image independently. Moving on is explicit:
 * `npx cdk context --reset <key>`, then `npx cdk deploy` (the VMs are replaced and re-gated).
 *
 * When nothing is pinned yet (no account to look up in, or the CLI has not run the lookup), the
 * template still synthesizes, with a placeholder image, and `problem` says why: the stack turns it
 * into a deploy-time refusal, so the placeholder can never reach an instance.
 */
export function pinnedImage(scope: Construct, sandbox: string, os: AwsOs, arch: Arch, keyPath: string): PinnedImage {
  const spec = osImageSpec(os, arch);
  const lookup = imageLookup(os, arch);
  const stack = Stack.of(scope);
  const osType = spec.osType;
  const placeholder = (problem: string, contextKey?: string): PinnedImage => ({
    machineImage: placeholderImage(osType),
    contextKey,
    problem: `${keyPath}: the ${os} (${arch}) image is not pinned yet: ${problem}`,
  });
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    return placeholder(
      `it is looked up (${lookup.description}) in your account and pinned in cdk.context.json, which needs the account: ` +
        'run `npx cdk synth` or `npx cdk deploy` with AWS credentials (or set aws.account)',
    );
  }
  const options = { provider: lookup.provider, props: lookup.props, dummyValue: NOT_PINNED, additionalCacheKey: sandboxCacheKey(sandbox) };
  const contextKey = ContextProvider.getKey(scope, options).key;
  const value = ContextProvider.getValue(scope, options).value;
  if (typeof value !== 'string' || !/^ami-[0-9a-f]{8,17}$/.test(value)) {
    return placeholder(`run \`npx cdk synth\` or \`npx cdk deploy\` with AWS credentials: the CDK CLI looks up ${lookup.description} and pins it in cdk.context.json`, contextKey);
  }
  // A literal AMI id is the point of pinning; CloudFormation Validate warns about any literal AMI.
  Validations.of(scope).acknowledge({
    id: 'CloudFormation-Validate::W9010',
    reason: `the AMI id is pinned on purpose (cdk.context.json key ${contextKey}), so a new image release does not replace the VM`,
  });
  const machineImage = osType === ec2.OperatingSystemType.WINDOWS ? ec2.MachineImage.genericWindows({ [stack.region]: value }) : ec2.MachineImage.genericLinux({ [stack.region]: value });
  return { machineImage, imageId: value, contextKey };
}

/** The cdk.context.json discriminator of a sandbox's images. */
export function sandboxCacheKey(sandbox: string): string {
  return `dskit-sandbox-${sandbox}`;
}

/** What an unpinned image synthesizes to: a parameter no deploy gets past (the stack adds the refusal). */
function placeholderImage(osType: ec2.OperatingSystemType): ec2.IMachineImage {
  return {
    getImage: (scope) => {
      const stack = Stack.of(scope);
      const id = 'DskitImageNotPinned';
      const param = (stack.node.tryFindChild(id) as CfnParameter | undefined) ??
        new CfnParameter(stack, id, {
          type: 'AWS::EC2::Image::Id',
          default: NOT_PINNED,
          description: 'dskit: a VM image is not pinned yet; synthesize with AWS credentials (see the deploy refusal)',
        });
      return { imageId: param.valueAsString, osType, userData: osType === ec2.OperatingSystemType.WINDOWS ? ec2.UserData.forWindows() : ec2.UserData.forLinux() };
    },
  };
}
