/** What a boot script needs from sandbox.yaml for one VM, resolved once for either platform. */
import { displayName, effectivePolicy, installerKindOf, managerEndpoints, type Cloud, type SandboxConfig, type VmConfig } from '../config';
import { contextPath, knownPolicyId } from '../context';
import { installerPackage, type InstallerPackage } from './installers';
import { linuxOsFacts, unameArch } from './platforms';
import { checkSigningKey, defaultSigningKey, DEFAULT_SIGNING_KEY_FILE } from './signing-key';
import type { ScriptPieces } from './sources';

export interface ScriptSettings {
  readonly cloud: Cloud;
  readonly displayName: string;
  /** The pieces of agents/ the script is made of (lib/agent/sources.ts). */
  readonly pieces: ScriptPieces;
  /** Linux: the platform the script was made for (the manager's name: `Debian_12`); it refuses to run on another. */
  readonly expectedPlatform: string;
  /** Linux: a glob of /etc/os-release's `ID:VERSION_ID` on that platform (empty for Windows). */
  readonly osRelease: string;
  /** The architecture the script may run on (`x86_64`, `aarch64`); empty: any (the classic path downloads the VM's own). */
  readonly expectedArch: string;
  /** vision-one: the VM's Agent Installer package (its digest is pinned in the script). */
  readonly installer?: InstallerPackage;
  readonly managerUrl: string;
  readonly activationUrl: string;
  /** Empty on a single-tenant DSM. */
  readonly tenantId: string;
  /** 0: no `?tenantID=` on package downloads (single-tenant DSM). */
  readonly tenantNumericId: number;
  /**
   * 0 when the policy is given by a name with no cached id: synth never asks the manager (a
   * `cdk destroy` after teardown deleted the policy must still synthesize); the deploy is
   * blocked instead (lib/agent/deploy-blockers unresolvedPolicies) and `warnings` says why.
   */
  readonly policyId: number;
  readonly groupId: number;
  readonly relayGroupId: number;
  readonly tokenSecretName: string;
  readonly proxy: string;
  readonly verifySignature: boolean;
  /** ASCII-armored; undefined when none is available (the Linux script then refuses to install). */
  readonly signingKey?: string;
  readonly syslogPort: number;
  readonly expiresAfterHours: number;
  /**
   * Seconds the boot script may spend before it must report its outcome: the cloud's activation
   * timeout less a margin for the report to land, so the deploy fails with the VM's own reason
   * rather than with the cloud's timeout. Every retry loop in the scripts stops at this deadline.
   */
  readonly budgetSeconds: number;
  /** Things the user should fix before deploying; the script still renders. */
  readonly warnings: readonly string[];
}

export interface SettingsOverrides {
  readonly managerUrl?: string;
  readonly signingKey?: string;
}

/** What the report of the outcome may need after the budget is spent: its own retries, and the network. */
export const OUTCOME_MARGIN_SECONDS = 120;

export function activationTimeoutMinutesOf(config: SandboxConfig, cloud: Cloud): number {
  const section = cloud === 'aws' ? config.aws : config.gcp;
  if (!section) throw new Error(`${cloud}: no such section in the config`);
  return section.activationTimeoutMinutes;
}

/** The boot script's budget for a cloud's activation timeout (at least 3 minutes). */
export function scriptBudgetSeconds(timeoutMinutes: number): number {
  return Math.max(180, timeoutMinutes * 60 - OUTCOME_MARGIN_SECONDS);
}

export function scriptSettings(config: SandboxConfig, cloud: Cloud, vm: VmConfig, index: number, overrides: SettingsOverrides): ScriptSettings {
  const endpoints = managerEndpoints(config.manager, overrides.managerUrl);
  const policy = effectivePolicy(config, vm);
  const m = config.manager;
  const visionOne = m.type === 'vision-one';
  // The Agent Installer path verifies its package by the pinned SHA-256: no signing key.
  const signingKey = visionOne ? undefined : overrides.signingKey !== undefined ? checkSigningKey(overrides.signingKey, 'signingKey') : defaultSigningKey();
  const warnings: string[] = [];
  const policyId = knownPolicyId(policy);
  // vision-one: the policy is the event-based task's (dskit policy ensure), not the script's.
  if (policyId === undefined && !visionOne) {
    warnings.push(
      `policy "${policy.name}" has no cached id in ${contextPath()}: this script would activate without a policy; ` +
        'run `npx dskit policy resolve` (needs the API key) or give policy.id',
    );
  }
  if (m.verifyPackageSignature && !signingKey && !vm.os.startsWith('windows') && !visionOne) {
    warnings.push(
      `manager.verifyPackageSignature is on but ${DEFAULT_SIGNING_KEY_FILE} does not exist: the VM will refuse the agent package. ` +
        'Put Trend Micro\'s agent signing key there (docs/agent.md) or set manager.verifyPackageSignature: false',
    );
  }
  const linux = vm.os.startsWith('windows') ? undefined : linuxOsFacts(vm.os);
  return {
    cloud,
    displayName: displayName(config.name, cloud, vm.name, index),
    pieces: { cloud, installPath: visionOne ? 'vision-one' : 'classic', family: linux?.family, adminAccess: linux !== undefined && !linux.ssmAgent },
    expectedPlatform: linux?.platform ?? 'Windows',
    osRelease: linux?.osRelease ?? '',
    // An Agent Installer package is built for one architecture (GCP VMs are x86_64).
    expectedArch: visionOne && linux ? unameArch('arch' in vm ? vm.arch : 'x86_64') : '',
    installer: visionOne ? installerPackage(m, installerKindOf(vm)) : undefined,
    managerUrl: endpoints.url,
    activationUrl: endpoints.activationUrl,
    tenantId: visionOne ? '' : (m.tenantId ?? ''),
    tenantNumericId: visionOne ? 0 : m.tenantNumericId,
    policyId: policyId ?? 0,
    groupId: policy.groupId ?? 0,
    relayGroupId: policy.relayGroupId ?? 0,
    tokenSecretName: visionOne ? '' : m.activationTokenSecret,
    proxy: m.proxy,
    verifySignature: m.verifyPackageSignature,
    signingKey,
    syslogPort: config.events.syslogPort,
    expiresAfterHours: config.expiresAfterHours,
    budgetSeconds: scriptBudgetSeconds(activationTimeoutMinutesOf(config, cloud)),
    warnings,
  };
}
