/** Synthesizes the AWS sandbox stack in-process for assertions. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { SandboxConfig } from '../../lib/config';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';

export interface Synthesized {
  readonly app: App;
  readonly stack: AwsSandboxStack;
  readonly template: Template;
  readonly json: any;
}

export function synthAws(config: SandboxConfig, opts: { account?: string; configFile?: string } = {}): Synthesized {
  const app = new App();
  const stack = new AwsSandboxStack(app, `${config.name}-aws`, {
    config,
    configFile: opts.configFile ?? 'test.yaml',
    env: { region: config.aws!.region, account: opts.account },
  });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() };
}

/** Logical ids and bodies of every resource of a type. */
export function resourcesOf(json: any, type: string): [string, any][] {
  return Object.entries<any>(json.Resources).filter(([, r]) => r.Type === type);
}

/**
 * A config whose manager values are not placeholders. Package signature checks are off: the repo
 * holds no agent signing key, and a missing key is itself a deploy blocker (tested on its own).
 */
export function realManager(raw: Record<string, any>): void {
  raw.manager.tenantId = '11111111-2222-3333-4444-555555555555';
  raw.manager.tenantNumericId = 81234;
  raw.manager.verifyPackageSignature = false;
}
