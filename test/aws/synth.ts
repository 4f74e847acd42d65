/** Synthesizes the AWS sandbox stack in-process for assertions. */
import { createHash } from 'node:crypto';
import { App, ContextProvider, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import type { Arch, AwsOs, SandboxConfig } from '../../lib/config';
import { imageLookup, sandboxCacheKey } from '../../lib/aws/machine-image';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';

export interface Synthesized {
  readonly app: App;
  readonly stack: AwsSandboxStack;
  readonly template: Template;
  readonly json: any;
}

export const TEST_ACCOUNT = '123456789012';

export interface SynthOptions {
  readonly account?: string;
  readonly configFile?: string;
  /** cdk.context.json as the CDK CLI would pass it (see pinnedContext). */
  readonly context?: Record<string, unknown>;
}

export function synthAws(config: SandboxConfig, opts: SynthOptions = {}): Synthesized {
  const app = new App({ context: opts.context });
  const stack = new AwsSandboxStack(app, `${config.name}-aws`, {
    config,
    configFile: opts.configFile ?? 'test.yaml',
    env: { region: config.aws!.region, account: opts.account },
  });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() };
}

/** A stand-in AMI id per OS, architecture and "release", as the CLI's lookup would pin it. */
export function fakeAmi(os: AwsOs, arch: Arch, release = 1): string {
  return `ami-${createHash('sha256').update(`${os}/${arch}/${release}`).digest('hex').slice(0, 17)}`;
}

/** The cdk.context.json key the stack looks a sandbox's image up under. */
export function imageContextKey(sandbox: string, os: AwsOs, arch: Arch, region: string, account = TEST_ACCOUNT): string {
  const scope = new Stack(new App(), 'keys', { env: { account, region } });
  const lookup = imageLookup(os, arch);
  return ContextProvider.getKey(scope, { provider: lookup.provider, props: lookup.props, additionalCacheKey: sandboxCacheKey(sandbox) }).key;
}

/** What cdk.context.json holds once the CDK CLI has run the config's lookups (images and zones). */
export function pinnedContext(config: SandboxConfig, release: (os: AwsOs, arch: Arch) => number = () => 1, account = TEST_ACCOUNT): Record<string, unknown> {
  const region = config.aws!.region;
  const scope = new Stack(new App(), 'keys', { env: { account, region } });
  const context: Record<string, unknown> = {
    [ContextProvider.getKey(scope, { provider: cxschema.ContextProvider.AVAILABILITY_ZONE_PROVIDER }).key]: [`${region}a`, `${region}c`, `${region}d`],
  };
  for (const vm of config.aws!.vms) context[imageContextKey(config.name, vm.os, vm.arch, region, account)] = fakeAmi(vm.os, vm.arch, release(vm.os, vm.arch));
  return context;
}

/** A stack bound to an account whose lookups are all pinned: what `cdk deploy` deploys. */
export function synthPinned(config: SandboxConfig, opts: Omit<SynthOptions, 'account' | 'context'> & { release?: (os: AwsOs, arch: Arch) => number } = {}): Synthesized {
  return synthAws(config, { ...opts, account: TEST_ACCOUNT, context: pinnedContext(config, opts.release) });
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
