/**
 * The one role every sandbox VM runs with: exactly what the boot script needs.
 * - SSM core: Session Manager admin access (no SSH keys, no open ports).
 * - CloudWatch Logs: write to the sandbox's events log group, nothing else (the group exists;
 *   the CloudWatch agent is not allowed to create groups elsewhere).
 * - Secrets Manager: read the one activation-token secret named in the config.
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface SandboxInstanceRoleProps {
  /** The log group the CloudWatch agent ships DS events to. */
  readonly eventsLogGroup: logs.ILogGroup;
  /** Name (not ARN) of the Secrets Manager secret holding the activation token. */
  readonly tokenSecretName: string;
}

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Secrets Manager appends `-` and 6 random characters to every secret's ARN. */
export function secretArnPattern(stack: Stack, secretName: string): string {
  return stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

export class SandboxInstanceRole extends Construct {
  public readonly role: iam.Role;
  /** Shared by every VM, rather than one profile per instance. */
  public readonly instanceProfile: iam.InstanceProfile;
  /** The ARN pattern the role may read: `arn:...:secret:<name>-??????`. */
  public readonly tokenSecretArn: string;

  constructor(scope: Construct, id: string, props: SandboxInstanceRoleProps) {
    super(scope, id);
    if (!SECRET_NAME.test(props.tokenSecretName)) {
      throw new Error(`manager.activationTokenSecret: "${props.tokenSecretName}" is not a Secrets Manager secret name (letters, digits, /_+=.@-)`);
    }
    const stack = Stack.of(this);
    this.tokenSecretArn = secretArnPattern(stack, props.tokenSecretName);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'dskit sandbox VMs: SSM, shipping DS events, reading the activation token',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ShipDsEvents',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [props.eventsLogGroup.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadActivationToken',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.tokenSecretArn],
      }),
    );
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager, the sandbox\'s only admin path; AWS keeps it current with the agent',
    });
  }
}
