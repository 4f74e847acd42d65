/**
 * What must be fixed before a deploy can give protected VMs. Synth accepts these (so
 * `npm run synth` works from the bundled example); the stacks turn them into deploy-time
 * refusals and `dskit preflight` reports them, so nobody waits out an activation timeout for
 * something known at synth.
 */
import { PACKAGE_ROOT, formatPlaceholderProblems, placeholderProblems, vmsOf, type Cloud, type SandboxConfig } from '../config';
import { platformOf } from './index';
import { DEFAULT_SIGNING_KEY_FILE, defaultSigningKey } from './signing-key';
import * as path from 'node:path';

export function deployBlockers(config: SandboxConfig, configFile: string, cloud: Cloud): string[] {
  const otherCloud = cloud === 'aws' ? 'gcp.' : 'aws.';
  const lines = formatPlaceholderProblems(
    configFile,
    placeholderProblems(config).filter((p) => !p.path.startsWith(otherCloud)),
  );
  const keyProblem = missingSigningKey(config, configFile, cloud);
  return keyProblem ? [...lines, keyProblem] : lines;
}

/** Set when the cloud's Linux VMs would verify the agent package but no signing key is available. */
export function missingSigningKey(config: SandboxConfig, configFile: string, cloud: Cloud): string | undefined {
  const hasLinux = vmsOf(config, cloud).some((vm) => vm.count > 0 && platformOf(vm) === 'linux');
  if (!config.manager.verifyPackageSignature || !hasLinux || defaultSigningKey()) return undefined;
  return (
    `${configFile}: manager.verifyPackageSignature: true, but there is no agent signing key at ` +
    `${path.relative(PACKAGE_ROOT, DEFAULT_SIGNING_KEY_FILE)}: the Linux VMs would refuse the agent package; ` +
    "save Trend Micro's key there (agents/keys/README.md) or set manager.verifyPackageSignature: false"
  );
}
