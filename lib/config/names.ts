/**
 * Names derived from the config alone, so the manager's computers of a sandbox can be
 * found without asking the clouds (SPEC §3).
 */
import type { Cloud, PolicyConfig, SandboxConfig, VmConfig } from './schema';

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
