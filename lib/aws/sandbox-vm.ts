/**
 * One protected VM: an EC2 instance whose boot script installs and activates the DS agent, and a
 * CloudFormation wait condition the script signals, so the deploy succeeds only once the agent
 * has activated. A FAILURE signal's reason is what CloudFormation reports as the deploy error.
 */
import { createHash } from 'node:crypto';
import { CfnWaitCondition, CfnWaitConditionHandle, Duration, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IDependable } from 'constructs';
import { AWS_USER_DATA_LIMIT, renderBootScript, type BootScript } from '../agent';
import { installerKindOf, type AwsVmConfig, type SandboxConfig } from '../config';
import type { InstallerPackages } from './installer-packages';
import { osImageSpec, pinnedImage, type PinnedImage } from './machine-image';
import { subnetIndexFor } from './placement';

/** CloudFormation caps a wait condition's timeout at 12 hours. */
const MAX_WAIT = Duration.hours(12);

/** Room for the wait condition handle's pre-signed URL, which is only known at deploy time. */
const HANDLE_URL_ALLOWANCE = 1024;
/** Room for each other deploy-time value (a bucket name: S3 allows 63 characters). */
const TOKEN_ALLOWANCE = 64;

/** Fail at synth, not half-way through a deploy, when a boot script cannot fit in user data. */
export function checkUserDataSize(script: string, displayName: string): void {
  const otherTokens = Math.max(0, (script.match(/\$\{Token\[/g) ?? []).length - 1);
  const bytes = Buffer.byteLength(script, 'utf8') + HANDLE_URL_ALLOWANCE + otherTokens * TOKEN_ALLOWANCE;
  if (bytes > AWS_USER_DATA_LIMIT) {
    throw new Error(
      `${displayName}: the boot script needs about ${bytes} bytes of user data (with the wait handle URL); EC2 allows ${AWS_USER_DATA_LIMIT}. ` +
        'Shorten the script in agents/ or move parts of it to a download.',
    );
  }
}

/**
 * A digest of what the VM will run, blind to deploy-time values (the handle URL, a token region):
 * it changes exactly when the boot script's own content does.
 */
export function bootScriptDigest(script: string): string {
  return createHash('sha256').update(script.replace(/\$\{Token\[[^\]]*\]\}/g, '<deploy-time>')).digest('hex').slice(0, 8);
}

/**
 * A digest of everything that defines the instance but its tags: the boot script (blind to
 * deploy-time values) and every other property CloudFormation is given (image, instance type,
 * subnet, security group, volumes, profile, metadata options, ...). Whatever changes it replaces
 * the instance and its activation gate together, so the deploy waits for the new agent.
 */
export function instanceDefinitionDigest(stack: Stack, instance: ec2.CfnInstance, script: string): string {
  const { tags: _tags, userData: _userData, ...properties } = stack.resolve((instance as any).cfnProperties) as Record<string, unknown>;
  return createHash('sha256')
    .update(bootScriptDigest(script))
    .update(JSON.stringify(properties, Object.keys(flatKeys(properties)).sort()))
    .digest('hex')
    .slice(0, 8);
}

/** Every key of a nested value, for a key order that does not depend on insertion order. */
function flatKeys(value: unknown, out: Record<string, true> = {}): Record<string, true> {
  if (Array.isArray(value)) for (const v of value) flatKeys(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out[k] = true;
      flatKeys(v, out);
    }
  }
  return out;
}

export interface SandboxVmProps {
  readonly config: SandboxConfig;
  readonly vm: AwsVmConfig;
  /** Position of the VM entry in `aws.vms`: error messages, and which subnet it starts in. */
  readonly vmIndex: number;
  /** Instance number, from 1 (`<sandbox>-aws-<vm>-<index>`). */
  readonly index: number;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly instanceProfile: iam.IInstanceProfile;
  /** CloudWatch Logs group the boot script ships DS events to. */
  readonly logGroupName: string;
  /** How long the deploy waits for the agent to activate. */
  readonly activationTimeout: Duration;
  /** vision-one: the stack's Agent Installer packages; the VM downloads its own. @default none (the classic install path) */
  readonly installers?: InstallerPackages;
  /** What must exist before the VM boots (its role's policy, the events log group). */
  readonly bootDependencies?: readonly IDependable[];
}

export class SandboxVm extends Construct {
  public readonly instance: ec2.Instance;
  public readonly waitHandle: CfnWaitConditionHandle;
  public readonly waitCondition: CfnWaitCondition;
  /** What the manager will call this computer. */
  public readonly displayName: string;
  public readonly bootScript: BootScript;
  /** The image, pinned in cdk.context.json (or not yet: `image.problem` is then a deploy blocker). */
  public readonly image: PinnedImage;
  /** The subnet (availability zone) the instance is in. */
  public readonly subnet: ec2.ISubnet;

  constructor(scope: Construct, id: string, props: SandboxVmProps) {
    super(scope, id);
    const { config, vm } = props;
    const key = `aws.vms[${props.vmIndex}]`;
    const timeout = props.activationTimeout.toSeconds();
    if (timeout < 60 || timeout > MAX_WAIT.toSeconds()) {
      throw new Error(`aws.activationTimeoutMinutes: ${props.activationTimeout.toMinutes()} is outside what CloudFormation allows (1-720 minutes)`);
    }
    if (vm.arch === 'arm64' && vm.os.startsWith('windows')) {
      throw new Error(`${key}.arch: "arm64" is not available with ${vm.os}; use x86_64`);
    }
    if (vm.arch === 'arm64' && !/^[a-z]+\d+g[a-z]*\./.test(vm.instanceType)) {
      throw new Error(`${key}.instanceType: "${vm.instanceType}" is not a Graviton type but arch is arm64; use t4g, m7g, c7g, ...`);
    }
    const stack = Stack.of(this);
    const spec = osImageSpec(vm.os, vm.arch);

    this.waitHandle = new CfnWaitConditionHandle(this, 'ActivationHandle');
    this.bootScript = renderBootScript(config, vm, props.index, {
      cloud: 'aws',
      region: stack.region,
      waitHandleUrl: this.waitHandle.ref,
      logGroupName: props.logGroupName,
      installer: props.installers?.locationOf(installerKindOf(vm)),
    });
    this.displayName = this.bootScript.displayName;
    checkUserDataSize(this.bootScript.script, this.displayName);
    this.image = pinnedImage(this, config.name, vm.os, vm.arch, `${key}.os`);
    const subnets = props.vpc.publicSubnets;
    this.subnet = subnets[subnetIndexFor(props.vmIndex, props.index, subnets.length)];

    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [this.subnet] },
      associatePublicIpAddress: true,
      securityGroup: props.securityGroup,
      instanceProfile: props.instanceProfile,
      instanceType: new ec2.InstanceType(vm.instanceType),
      machineImage: this.image.machineImage,
      userData: ec2.UserData.custom(this.bootScript.script),
      userDataCausesReplacement: true,
      // IMDSv2 on the instance itself (requireImdsv2 would add a launch template per VM for the same effect).
      httpTokens: ec2.HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: spec.rootDeviceName,
          volume: ec2.BlockDeviceVolume.ebs(spec.rootVolumeGiB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3, deleteOnTermination: true }),
        },
      ],
      propagateTagsToVolumeOnCreation: true,
      // The boot script powers the VM off after expiresAfterHours; off then means gone.
      instanceInitiatedShutdownBehavior:
        config.expiresAfterHours > 0 ? ec2.InstanceInitiatedShutdownBehavior.TERMINATE : ec2.InstanceInitiatedShutdownBehavior.STOP,
    });
    for (const dep of props.bootDependencies ?? []) this.instance.node.addDependency(dep);

    // User data runs once per instance (cloud-init, EC2Launch), and a wait condition that has
    // completed never waits again. So any change that replaces the instance (a new boot script,
    // image, instance type, subnet, ...) must come with a new handle and condition, or the update
    // would "succeed" before the new agent activates. The digest of the instance's definition
    // renames handle and condition; the new handle URL changes the user data, which renames
    // (replaces) the instance, so it is replaced exactly when its gate is.
    const digest = instanceDefinitionDigest(stack, this.instance.instance, this.bootScript.script);
    this.waitHandle.overrideLogicalId(`${stack.getLogicalId(this.waitHandle)}${digest}`);

    Tags.of(this.instance).add('Name', this.displayName);
    Tags.of(this.instance).add('dskit-vm', vm.name);
    Tags.of(this.instance).add('dskit-display-name', this.displayName);
    Tags.of(this.instance).add('dskit-os', vm.os);
    Tags.of(this.instance).add('dskit-expires-after-hours', String(config.expiresAfterHours));

    this.waitCondition = new CfnWaitCondition(this, 'Activated', {
      count: 1,
      handle: this.waitHandle.ref,
      timeout: String(timeout),
    });
    this.waitCondition.overrideLogicalId(`${stack.getLogicalId(this.waitCondition)}${digest}`);
    this.waitCondition.addResourceDependency(this.instance.instance);

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC28',
      reason: 'sandbox VMs live hours; basic 5-minute monitoring is enough and detailed monitoring is billed per instance',
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason:
        'the sandbox is disposable: termination protection would make `cdk destroy` and `dskit teardown` fail on every VM ' +
        '(it would not stop the expiry, since a shutdown from inside the instance still terminates it)',
    });
  }
}
