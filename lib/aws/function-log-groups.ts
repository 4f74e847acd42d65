/**
 * Log groups for the Lambda functions the CDK adds on its own (the providers behind
 * `autoDeleteObjects` and `restrictDefaultSecurityGroup`).
 *
 * Left alone, Lambda creates `/aws/lambda/<function>` on the first invocation, outside the stack,
 * and the auto-delete provider runs one last time *during* `cdk destroy`, so that group would
 * always outlive the sandboxes. Here each function gets a group of the stack's own, through the
 * function's LoggingConfig; the function then depends on it, so CloudFormation deletes the group
 * only after the function's last invocation.
 */
import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const LAMBDA_FUNCTION = 'AWS::Lambda::Function';

export interface FunctionLogGroupsProps {
  /**
   * How long the functions' own logs are kept while the stack exists.
   * @default logs.RetentionDays.ONE_WEEK
   */
  readonly retention?: logs.RetentionDays;
}

/**
 * Create it last in the stack: it covers the functions that exist when it is constructed, and
 * throws if a function it should cover already names a log group of its own.
 */
export class FunctionLogGroups extends Construct {
  /** One per function, keyed by the function's construct path. */
  public readonly logGroups: ReadonlyMap<string, logs.LogGroup>;

  constructor(scope: Construct, id: string, props: FunctionLogGroupsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const groups = new Map<string, logs.LogGroup>();
    const functions = stack.node
      .findAll()
      .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === LAMBDA_FUNCTION);
    for (const fn of functions) {
      const declared = stack.resolve((fn as any).cfnProperties ?? {}) as Record<string, any>;
      if (declared.LoggingConfig !== undefined || declared.loggingConfig !== undefined) {
        throw new Error(`FunctionLogGroups: ${fn.node.path} already logs to a group of its own; leave it out or remove its LoggingConfig`);
      }
      const relativePath = fn.node.path.slice(stack.node.path.length + 1);
      const group = new logs.LogGroup(this, relativePath.replace(/[^A-Za-z0-9]/g, ''), {
        retention: props.retention ?? logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      fn.addPropertyOverride('LoggingConfig.LogGroup', group.logGroupName);
      groups.set(fn.node.path, group);
    }
    this.logGroups = groups;
  }
}
