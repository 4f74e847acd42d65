/**
 * What must be fixed before a deploy can give protected VMs. Synth accepts these (so
 * `npm run synth` works from the bundled example); the stacks turn them into deploy-time
 * refusals and `dskit preflight` reports them, so nobody waits out an activation timeout for
 * something known at synth.
 */
import { PACKAGE_ROOT, effectivePolicy, formatPlaceholderProblems, placeholderProblems, vmsOf, type Cloud, type SandboxConfig } from '../config';
import { changesOf, contextPath, knownPolicyId } from '../context';
import { TASK_CREATED } from '../manager/sandbox-tasks';
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
  const taskProblem = missingPolicyTasks(config, configFile, cloud);
  return [...lines, ...unresolvedPolicies(config, configFile, cloud), ...(keyProblem ? [keyProblem] : []), ...(taskProblem ? [taskProblem] : [])];
}

/**
 * vision-one: the Agent Installer's agents activate with the manager's default policy; the
 * sandbox's event-based tasks (dskit policy ensure, recorded in dskit.context.json) give them the
 * configured one. Without them every VM would activate on the wrong policy: the deploy waits.
 * The record is what synth can know without asking the manager (`dskit verify` checks the tasks).
 */
export function missingPolicyTasks(config: SandboxConfig, configFile: string, cloud: Cloud, dir?: string): string | undefined {
  if (config.manager.type !== 'vision-one' || !vmsOf(config, cloud).some((vm) => vm.count > 0)) return undefined;
  if (changesOf(config.name, dir).some((c) => c.kind === TASK_CREATED)) return undefined;
  return (
    `${configFile}: manager.type: vision-one, but ${contextPath(dir)} records no event-based task of sandbox ${config.name}: ` +
    "the agents would keep the manager's default policy; run `npx dskit policy ensure` (needs the API key) first"
  );
}

/**
 * Policies given by name whose id is not cached in dskit.context.json (never ran `policy resolve`,
 * or teardown deleted the policy). Synth goes on without asking the manager — `cdk destroy` and
 * `cdktf destroy` synthesize too, and must work with the manager side already gone — and the
 * deploy refuses, one line per name, before anything is created.
 */
export function unresolvedPolicies(config: SandboxConfig, configFile: string, cloud: Cloud, dir?: string): string[] {
  const byName = new Map<string, string>();
  vmsOf(config, cloud).forEach((vm, i) => {
    if (vm.count === 0) return;
    const policy = effectivePolicy(config, vm);
    if (policy.name === undefined || byName.has(policy.name) || knownPolicyId(policy, dir) !== undefined) return;
    byName.set(policy.name, vm.policy?.name !== undefined ? `${cloud}.vms[${i}].policy.name` : 'policy.name');
  });
  return [...byName].map(
    ([name, key]) =>
      `${configFile}: ${key}: "${name}" has no cached policy id in ${contextPath(dir)}; ` +
      'run `npx dskit policy resolve` (needs the API key), or give policy.id',
  );
}

/** Set when the cloud's Linux VMs would verify the agent package but no signing key is available. */
export function missingSigningKey(config: SandboxConfig, configFile: string, cloud: Cloud): string | undefined {
  const hasLinux = vmsOf(config, cloud).some((vm) => vm.count > 0 && platformOf(vm) === 'linux');
  // vision-one: the Agent Installer packages' SHA-256 is pinned in the scripts; no key is used.
  if (config.manager.type === 'vision-one' || !config.manager.verifyPackageSignature || !hasLinux || defaultSigningKey()) return undefined;
  return (
    `${configFile}: manager.verifyPackageSignature: true, but there is no agent signing key at ` +
    `${path.relative(PACKAGE_ROOT, DEFAULT_SIGNING_KEY_FILE)}: the Linux VMs would refuse the agent package; ` +
    "save Trend Micro's key there (agents/keys/README.md) or set manager.verifyPackageSignature: false"
  );
}
