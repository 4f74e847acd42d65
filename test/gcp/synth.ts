/** Synthesizes the GCP stack in memory (Testing.synth) and reads its Terraform JSON. */
import { Testing } from 'cdktf';
import type { SandboxConfig } from '../../lib/config';
import { GcpSandboxStack } from '../../stacks/gcp-sandbox-stack';

export interface Synthesized {
  /** The cdk.tf.json text, for matchers and "never appears" checks. */
  readonly json: string;
  readonly tf: TerraformJson;
  readonly stack: GcpSandboxStack;
}

export interface TerraformJson {
  readonly resource: Record<string, Record<string, any>>;
  readonly output: Record<string, { value: unknown }>;
  readonly locals?: Record<string, unknown>;
  readonly provider: Record<string, any[]>;
  readonly terraform: any;
}

export function synthGcp(config: SandboxConfig, id = 'lab-gcp', configFile?: string): Synthesized {
  const stack = new GcpSandboxStack(Testing.app(), id, { config, configFile });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json), stack };
}

/** Every resource of a type, without cdktf's `//` metadata. */
export function resourcesOf(tf: TerraformJson, type: string): any[] {
  return Object.values(tf.resource[type] ?? {}).map(({ '//': _meta, ...rest }) => rest);
}

export function onlyResource(tf: TerraformJson, type: string): any {
  const all = resourcesOf(tf, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}
