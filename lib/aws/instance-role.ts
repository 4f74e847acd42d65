/**
 * The one role every sandbox VM runs with: exactly what Session Manager and the boot script need,
 * nothing a compromised (honeypot) VM could use to read the account.
 * - Session Manager: the five actions AWS lists for a custom Session Manager instance profile
 *   (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html,
 *   the same as the AWS managed policy AWSCloud9SSMInstanceProfile): the SSM agent registers the
 *   instance and opens session channels. Not AmazonSSMManagedInstanceCore, which also allows
 *   ssm:GetParameter(s) on every parameter of the account, documents, associations and inventory;
 *   State Manager and Patch Manager are therefore not available on the VMs.
 * - Run Command, for `dskit exercise`: the six ec2messages actions through which SSM Agent receives
 *   commands addressed to its own instance and sends their replies
 *   (https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html);
 *   the AWS-RunShellScript / AWS-RunPowerShellScript documents travel in the message, so no ssm:GetDocument.
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
  /**
   * Name (not ARN) of the Secrets Manager secret holding the activation token.
   * @default none: a vision-one sandbox's agents register from their installer package (lib/aws/installer-packages.ts grants its read)
   */
  readonly tokenSecretName?: string;
}

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Secrets Manager appends `-` and 6 random characters to every secret's ARN. */
export function secretArnPattern(stack: Stack, secretName: string): string {
  return stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** What the SSM agent needs for Session Manager (see above); S3/KMS session logging is not configured. */
export const SESSION_MANAGER_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
] as const;

/** What SSM Agent needs to receive Run Command messages for its own instance and reply (see above). */
export const RUN_COMMAND_ACTIONS = [
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
] as const;

export class SandboxInstanceRole extends Construct {
  public readonly role: iam.Role;
  /** Shared by every VM, rather than one profile per instance. */
  public readonly instanceProfile: iam.InstanceProfile;
  /** The ARN pattern the role may read: `arn:...:secret:<name>-??????` (none without a token secret). */
  public readonly tokenSecretArn?: string;

  constructor(scope: Construct, id: string, props: SandboxInstanceRoleProps) {
    super(scope, id);
    if (props.tokenSecretName !== undefined && !SECRET_NAME.test(props.tokenSecretName)) {
      throw new Error(`manager.activationTokenSecret: "${props.tokenSecretName}" is not a Secrets Manager secret name (letters, digits, /_+=.@-)`);
    }
    const stack = Stack.of(this);
    this.tokenSecretArn = props.tokenSecretName === undefined ? undefined : secretArnPattern(stack, props.tokenSecretName);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'dskit sandbox VMs: Session Manager, Run Command (dskit exercise), shipping DS events, reading the activation token',
    });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'SessionManager', actions: [...SESSION_MANAGER_ACTIONS], resources: ['*'] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'RunCommand', actions: [...RUN_COMMAND_ACTIONS], resources: ['*'] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ShipDsEvents',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [props.eventsLogGroup.logGroupArn],
      }),
    );
    if (this.tokenSecretArn) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadActivationToken',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.tokenSecretArn],
        }),
      );
    }
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'only the five Session Manager actions and the six ec2messages ones Run Command delivers through: none supports ' +
        'resource-level permissions (ssm:UpdateInstanceInformation is documented with Resource "*" for an instance profile), and ' +
        'none reads account data (no parameters, secrets or documents): ec2messages hands the agent only messages for its own instance',
    });
  }
}
