import { CfnOutput, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { platformOf } from '../lib/agent';
import { deployBlockers } from '../lib/agent/deploy-blockers';
import { installerPackage } from '../lib/agent/installers';
import { AthenaAnalytics } from '../lib/aws/athena-analytics';
import { EventsPipeline } from '../lib/aws/events-pipeline';
import { ExposureSecurityGroups } from '../lib/aws/exposure';
import { FunctionLogGroups } from '../lib/aws/function-log-groups';
import { InstallerPackages, acknowledgeDeleterFindings } from '../lib/aws/installer-packages';
import { SandboxInstanceRole } from '../lib/aws/instance-role';
import { EVENTS_PREFIX, logRetentionFor, sandboxNames } from '../lib/aws/names';
import { SandboxNetwork } from '../lib/aws/network';
import { PlaceholderGuard } from '../lib/aws/placeholder-guard';
import { SandboxVm } from '../lib/aws/sandbox-vm';
import { OWNER_TAG, SANDBOX_TAG, activationTokenSecretOf, neededInstallerKinds, type SandboxConfig } from '../lib/config';

export interface AwsSandboxStackProps extends StackProps {
  /** The validated sandbox config; must have an `aws:` section. */
  readonly config: SandboxConfig;
  /**
   * The config file, named in the deploy-time refusal of placeholder values.
   * @default 'sandbox.yaml'
   */
  readonly configFile?: string;
}

/** The AWS side of the sandbox: network, VMs that must activate, event pipeline (SPEC §1, §5). */
export class AwsSandboxStack extends Stack {
  public readonly network: SandboxNetwork;
  public readonly events: EventsPipeline;
  public readonly analytics: AthenaAnalytics;
  public readonly instanceRole: SandboxInstanceRole;
  /** vision-one: the Agent Installer packages the VMs download (absent for the other manager types). */
  public readonly installers?: InstallerPackages;
  public readonly vms: readonly SandboxVm[];
  /** Why a deploy of this template would be refused (empty when it is ready). */
  public readonly deployBlockers: readonly string[];

  constructor(scope: Construct, id: string, props: AwsSandboxStackProps) {
    super(scope, id, props);
    const { config } = props;
    const aws = config.aws;
    if (!aws) throw new Error('AwsSandboxStack needs an `aws:` section in the config');
    Tags.of(this).add(SANDBOX_TAG, config.name);
    Tags.of(this).add(OWNER_TAG, config.owner);
    const names = sandboxNames(config);
    const retentionDays = config.events.retentionDays;

    this.network = new SandboxNetwork(this, 'Network', {
      cidr: aws.vpcCidr,
      flowLogGroupName: names.flowLogGroup,
      flowLogRetention: logRetentionFor(retentionDays),
    });
    this.events = new EventsPipeline(this, 'Events', { logGroupName: names.eventsLogGroup, retentionDays, prefix: EVENTS_PREFIX });
    this.analytics = new AthenaAnalytics(this, 'Analytics', {
      eventsBucket: this.events.bucket.bucket,
      eventsPrefix: EVENTS_PREFIX,
      databaseName: names.glueDatabase,
      tableName: names.eventsTable,
      workGroupName: names.athenaWorkGroup,
      retentionDays,
    });
    this.instanceRole = new SandboxInstanceRole(this, 'InstanceRole', {
      eventsLogGroup: this.events.logGroup,
      tokenSecretName: activationTokenSecretOf(config.manager),
    });
    const manager = config.manager;
    if (manager.type === 'vision-one') {
      this.installers = new InstallerPackages(this, 'Installers', {
        packages: neededInstallerKinds(config, ['aws']).map((kind) => installerPackage(manager, kind)),
        role: this.instanceRole.role,
      });
    }
    const exposure = new ExposureSecurityGroups(this, 'Exposure', {
      vpc: this.network.vpc,
      exposure: config.exposure,
      platforms: aws.vms.filter((vm) => vm.count > 0).map(platformOf),
      sandbox: config.name,
    });

    const vms: SandboxVm[] = [];
    aws.vms.forEach((vm, vmIndex) => {
      for (let index = 1; index <= vm.count; index++) {
        const sandboxVm = new SandboxVm(this, `Vm-${vm.name}-${index}`, {
          config,
          vm,
          vmIndex,
          index,
          vpc: this.network.vpc,
          securityGroup: exposure.forPlatform(platformOf(vm)),
          instanceProfile: this.instanceRole.instanceProfile,
          logGroupName: names.eventsLogGroup,
          activationTimeout: Duration.minutes(aws.activationTimeoutMinutes),
          installers: this.installers,
          bootDependencies: [this.instanceRole, this.events.logGroup, ...(this.installers ? [this.installers] : [])],
        });
        new CfnOutput(this, `InstanceId-${sandboxVm.displayName}`, {
          value: sandboxVm.instance.instanceId,
          description: `EC2 instance id of ${sandboxVm.displayName}`,
        });
        vms.push(sandboxVm);
      }
    });
    this.vms = vms;

    new CfnOutput(this, 'EventsLogGroup', { value: this.events.logGroup.logGroupName, description: 'CloudWatch Logs group of the DS events' });
    new CfnOutput(this, 'EventsBucket', { value: this.events.bucket.bucket.bucketName, description: 'S3 bucket the DS event lines land in' });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.workGroup.ref, description: 'Athena workgroup with the report queries' });
    new CfnOutput(this, 'GlueDatabase', { value: names.glueDatabase, description: 'Glue database of the events table' });
    new CfnOutput(this, 'GlueTable', { value: names.eventsTable, description: 'Glue table over the raw event lines' });

    // What the deploy must refuse: placeholder values, a missing signing key (lib/agent), and
    // lookups the CDK CLI has not pinned in cdk.context.json yet (images, availability zones).
    const configFile = props.configFile ?? 'sandbox.yaml';
    this.deployBlockers = [
      ...deployBlockers(config, configFile, 'aws'),
      ...[...new Set(vms.map((vm) => vm.image.problem).filter((p): p is string => p !== undefined))].map((p) => `${configFile}: ${p}`),
      ...this.network.lookupProblems.map((p) => `${configFile}: aws.region: ${p}`),
    ];
    new PlaceholderGuard(this, 'PlaceholderGuard', { problems: this.deployBlockers });

    // Last: the CDK's own custom-resource functions exist only once the buckets and VPC do.
    new FunctionLogGroups(this, 'FunctionLogs');
    acknowledgeDeleterFindings(this);
  }
}
