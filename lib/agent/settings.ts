/** What a boot script needs from sandbox.yaml for one VM, resolved once for either platform. */
import { displayName, effectivePolicy, managerEndpoints, type Cloud, type SandboxConfig, type VmConfig } from '../config';
import { policyIdOf } from '../context';
import { checkSigningKey, defaultSigningKey, DEFAULT_SIGNING_KEY_FILE } from './signing-key';

export interface ScriptSettings {
  readonly cloud: Cloud;
  readonly displayName: string;
  readonly managerUrl: string;
  readonly activationUrl: string;
  /** Empty on a single-tenant DSM. */
  readonly tenantId: string;
  /** 0: no `?tenantID=` on package downloads (single-tenant DSM). */
  readonly tenantNumericId: number;
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
  /** Things the user should fix before deploying; the script still renders. */
  readonly warnings: readonly string[];
}

export interface SettingsOverrides {
  readonly managerUrl?: string;
  readonly signingKey?: string;
}

export function scriptSettings(config: SandboxConfig, cloud: Cloud, vm: VmConfig, index: number, overrides: SettingsOverrides): ScriptSettings {
  const endpoints = managerEndpoints(config.manager, overrides.managerUrl);
  const policy = effectivePolicy(config, vm);
  const m = config.manager;
  const signingKey = overrides.signingKey !== undefined ? checkSigningKey(overrides.signingKey, 'signingKey') : defaultSigningKey();
  const warnings: string[] = [];
  if (m.verifyPackageSignature && !signingKey && !vm.os.startsWith('windows')) {
    warnings.push(
      `manager.verifyPackageSignature is on but ${DEFAULT_SIGNING_KEY_FILE} does not exist: the VM will refuse the agent package. ` +
        'Put Trend Micro\'s agent signing key there (docs/agent.md) or set manager.verifyPackageSignature: false',
    );
  }
  return {
    cloud,
    displayName: displayName(config.name, cloud, vm.name, index),
    managerUrl: endpoints.url,
    activationUrl: endpoints.activationUrl,
    tenantId: m.tenantId ?? '',
    tenantNumericId: m.tenantNumericId,
    policyId: policyIdOf(policy),
    groupId: policy.groupId ?? 0,
    relayGroupId: policy.relayGroupId ?? 0,
    tokenSecretName: m.activationTokenSecret,
    proxy: m.proxy,
    verifySignature: m.verifyPackageSignature,
    signingKey,
    syslogPort: config.events.syslogPort,
    expiresAfterHours: config.expiresAfterHours,
    warnings,
  };
}
