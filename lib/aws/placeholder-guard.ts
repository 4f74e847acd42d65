/**
 * Synth accepts the bundled example's placeholder manager values (so `npm run synth` works
 * without an account); a deploy must refuse them, and anything else known to stop the agents
 * from activating (lib/agent deployBlockers), before anything is created. A CloudFormation
 * rule fails the change set with our message, at validation time, before any resource exists.
 */
import { CfnParameter, CfnRule, Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface PlaceholderGuardProps {
  /** One line per problem (lib/agent deployBlockers); none = no guard. */
  readonly problems: readonly string[];
}

/** Adds nothing when the config has no placeholders. */
export class PlaceholderGuard extends Construct {
  /** The messages the deploy fails with; empty when the config is real. */
  public readonly problems: readonly string[];
  public readonly rule?: CfnRule;

  constructor(scope: Construct, id: string, props: PlaceholderGuardProps) {
    super(scope, id);
    this.problems = props.problems;
    if (this.problems.length === 0) return;

    // Rules assert over parameters; this one can only ever hold "placeholder".
    const status = new CfnParameter(this, 'ConfigStatus', {
      type: 'String',
      default: 'placeholder',
      allowedValues: ['placeholder'],
      description: 'dskit: the config is not ready to deploy (placeholder values, an unresolved policy name or a missing agent signing key); fix it and synthesize again',
    });
    const message = `dskit refuses to deploy: ${this.problems.join('; ')}. Fix them, then run \`npx dskit preflight\`.`;
    this.rule = new CfnRule(this, 'RefusePlaceholders', {
      assertions: [{ assert: Fn.conditionEquals(status.valueAsString, 'configured'), assertDescription: message.slice(0, 4000) }],
    });
  }
}
