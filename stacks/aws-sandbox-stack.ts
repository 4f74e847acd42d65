import { Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { OWNER_TAG, SANDBOX_TAG, type SandboxConfig } from '../lib/config';

export interface AwsSandboxStackProps extends StackProps {
  /** The validated sandbox config; must have an `aws:` section. */
  readonly config: SandboxConfig;
}

/** The AWS side of the sandbox: network, VMs that must activate, event pipeline (SPEC §1, §5). */
export class AwsSandboxStack extends Stack {
  constructor(scope: Construct, id: string, props: AwsSandboxStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (!config.aws) throw new Error('AwsSandboxStack needs an `aws:` section in the config');
    Tags.of(this).add(SANDBOX_TAG, config.name);
    Tags.of(this).add(OWNER_TAG, config.owner);
  }
}
