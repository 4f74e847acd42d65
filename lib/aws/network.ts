/**
 * The sandbox's own VPC.
 *
 * Egress without a NAT gateway: the VMs sit in public subnets with public IPv4 addresses and
 * security groups that admit nothing but what the exposure mode allows. The agents need outbound
 * HTTPS to the manager, the package mirrors and AWS APIs (SSM, Secrets Manager, CloudWatch Logs,
 * CloudFormation's wait-condition URL); a NAT gateway (~33 USD/month plus data) or interface
 * endpoints (~7 USD/month each per AZ, and still no route to the manager) cost more than the
 * public IPv4 addresses of a few short-lived VMs, and a NAT instance adds a machine to patch.
 */
import { ContextProvider, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SANDBOX_ZONES } from './placement';

export interface SandboxNetworkProps {
  /** The VPC's IPv4 range (`aws.vpcCidr`). */
  readonly cidr: string;
  /** Log group name for the VPC flow logs. */
  readonly flowLogGroupName: string;
  /** Flow log retention. */
  readonly flowLogRetention: logs.RetentionDays;
  /**
   * How many availability zones get a subnet.
   * @default 2 - a second zone gives instance types that are short in one zone somewhere to go
   */
  readonly maxAzs?: number;
}

export class SandboxNetwork extends Construct {
  public readonly vpc: ec2.Vpc;
  /** Created here, not by the flow log service, so `cdk destroy` removes it. */
  public readonly flowLogGroup: logs.LogGroup;
  public readonly flowLog: ec2.FlowLog;
  /**
   * Set when the VPC's availability zones are not known yet: in a stack bound to an account the
   * CDK CLI looks them up and pins them in cdk.context.json; until then the zones are dummies
   * that no deploy may reach.
   */
  public readonly lookupProblems: readonly string[];

  constructor(scope: Construct, id: string, props: SandboxNetworkProps) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? SANDBOX_ZONES;
    if (!Number.isInteger(maxAzs) || maxAzs < 1) throw new Error(`SandboxNetwork: maxAzs must be 1 or more, got ${maxAzs}`);
    const stack = Stack.of(this);
    const bound = !Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region);
    const zonesPinned = !bound || stack.node.tryGetContext(ContextProvider.getKey(this, { provider: cxschema.ContextProvider.AVAILABILITY_ZONE_PROVIDER }).key) !== undefined;
    this.lookupProblems = zonesPinned
      ? []
      : ['the availability zones are not pinned yet: run `npx cdk synth` or `npx cdk deploy` with AWS credentials (the CDK CLI looks them up and pins them in cdk.context.json)'];

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      maxAzs,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false }],
      restrictDefaultSecurityGroup: true,
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      logGroupName: props.flowLogGroupName,
      retention: props.flowLogRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
