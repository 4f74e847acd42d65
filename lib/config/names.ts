/**
 * Names derived from the config alone, so the manager's computers of a sandbox can be
 * found without asking the clouds (SPEC §3).
 */
import type { Cloud, PolicyConfig, SandboxConfig, VmConfig } from './schema';

/** The cloud segments of a display name; a sandbox or VM name containing one would make names ambiguous. */
export const CLOUD_SEGMENTS: readonly Cloud[] = ['aws', 'gcp'];

/**
 * The `aws`/`gcp` segment of a name, if it has one. Sandbox `a` with AWS VM `b-gcp-c` and sandbox
 * `a-aws-b` with GCP VM `c` would both give `a-aws-b-gcp-c-1`; with no cloud segment in either
 * name, the first cloud segment of a display name is its cloud, and every name parses one way.
 */
export function cloudSegmentIn(name: string): Cloud | undefined {
  return CLOUD_SEGMENTS.find((c) => name.split('-').includes(c));
}

export interface ParsedDisplayName {
  readonly cloud: Cloud;
  readonly vm: string;
  readonly index: number;
}

const VM_SEGMENTS = /^[a-z][a-z0-9-]{0,29}$/;

/**
 * `<sandbox>-<cloud>-<vm>-<n>` of this sandbox, whether or not the config still has that VM or
 * count; undefined for anything else (`ds-eval-aws-web-1-old`, `ds-eval-aws-web-01`, another
 * sandbox's `ds-evalx-aws-web-1`).
 */
export function parseDisplayName(sandbox: string, name: string): ParsedDisplayName | undefined {
  for (const cloud of CLOUD_SEGMENTS) {
    const prefix = `${sandbox}-${cloud}-`;
    if (!name.startsWith(prefix)) continue;
    const m = /^(.+)-([1-9][0-9]*)$/.exec(name.slice(prefix.length));
    if (!m || !VM_SEGMENTS.test(m[1]) || m[1].endsWith('-') || m[1].includes('--') || cloudSegmentIn(m[1])) return undefined;
    return { cloud, vm: m[1], index: Number(m[2]) };
  }
  return undefined;
}

/** `<sandbox>-<cloud>-<vm>-<n>`, n from 1. */
export function displayName(sandbox: string, cloud: Cloud, vm: string, index: number): string {
  if (!Number.isInteger(index) || index < 1) throw new RangeError(`VM index must be 1 or more, got ${index}`);
  return `${sandbox}-${cloud}-${vm}-${index}`;
}

export interface ExpectedComputer {
  readonly cloud: Cloud;
  readonly vm: VmConfig;
  readonly index: number;
  readonly displayName: string;
  /** The policy this VM activates with (its own override, else the sandbox's). */
  readonly policy: PolicyConfig;
}

export function vmsOf(config: SandboxConfig, cloud: Cloud): readonly VmConfig[] {
  return (cloud === 'aws' ? config.aws?.vms : config.gcp?.vms) ?? [];
}

/** The policy a VM activates with: its override's id/name, group ids inherited unless overridden. */
export function effectivePolicy(config: SandboxConfig, vm: VmConfig): PolicyConfig {
  const o = vm.policy;
  if (!o) return config.policy;
  return {
    id: o.id,
    name: o.name,
    groupId: o.groupId ?? config.policy.groupId,
    relayGroupId: o.relayGroupId ?? config.policy.relayGroupId,
  };
}

/** Every computer the sandbox should have in the manager, for the given clouds. */
export function expectedComputers(config: SandboxConfig, clouds: readonly Cloud[] = ['aws', 'gcp']): ExpectedComputer[] {
  const out: ExpectedComputer[] = [];
  for (const cloud of clouds) {
    for (const vm of vmsOf(config, cloud)) {
      for (let index = 1; index <= vm.count; index++) {
        out.push({ cloud, vm, index, displayName: displayName(config.name, cloud, vm.name, index), policy: effectivePolicy(config, vm) });
      }
    }
  }
  return out;
}

/** The tag/label every resource of the sandbox carries. */
export const SANDBOX_TAG = 'dskit-sandbox';
export const OWNER_TAG = 'owner';
