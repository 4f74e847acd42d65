/**
 * `dskit preflight [--cloud C]`: everything that can be checked before a deploy, one line per
 * check with PASS / FAIL (or SKIP when it cannot be checked) and the fix. Exit 1 if any fails.
 */
import { missingSigningKey } from '../../agent/deploy-blockers';
import { awsPlacementChecks } from '../../aws/placement';
import { CLOUDS, activationTokenSecretOf, effectivePolicy, formatPlaceholderProblems, placeholderProblems, vmsOf, type PolicyConfig } from '../../config';
import { cachedPolicyId } from '../../context';
import {
  AGENT_INITIATED_ACTIVATION,
  ManagerApiError,
  ManagerSetupError,
  ManagerUnreachableError,
  agentInitiatedActivationAllowed,
  isNotFound,
  managerApiUrl,
  managerClientFor,
  shown,
  type ManagerClient,
} from '../../manager';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, EXIT_PROBLEM } from '../errors';
import { nearMatchHint, retryLine } from './manager-session';
import { installerChecks, visionOneManagerChecks } from './vision-one';

type Outcome = 'PASS' | 'FAIL' | 'SKIP';

interface Check {
  readonly outcome: Outcome;
  readonly check: string;
  readonly detail: string;
  /** What to do about a FAIL. */
  readonly fix?: string;
}

/** A manager call's failure as a check result, never a crash: the other checks still run. */
function failure(check: string, err: unknown): Check {
  if (err instanceof ManagerApiError || err instanceof ManagerUnreachableError) return { outcome: 'FAIL', check, detail: err.message };
  throw err;
}

async function policyCheck(client: ManagerClient, where: string, policy: PolicyConfig, cwd: string): Promise<Check> {
  const check = `${where} exists`;
  try {
    if (policy.id !== undefined) {
      const p = await client.findPolicy(policy.id);
      return p
        ? { outcome: 'PASS', check, detail: `policy id ${policy.id} is "${shown(p.name ?? '')}"` }
        : { outcome: 'FAIL', check, detail: `no policy with id ${policy.id}`, fix: 'pick an id from Policies in the console (the id shows in the policy URL)' };
    }
    const matches = await client.policiesNamed(policy.name!);
    const cached = cachedPolicyId(policy.name!, cwd);
    if (matches.length !== 1) {
      return {
        outcome: 'FAIL',
        check,
        detail: `${matches.length} policies named "${shown(policy.name!)}"${matches.length === 0 ? await nearMatchHint(client, policy.name!) : ''}`,
        fix: matches.length === 0 ? 'check the name (exact, case included) or give policy.id' : 'give policy.id instead',
      };
    }
    if (cached !== undefined && cached !== matches[0].ID) {
      return { outcome: 'FAIL', check, detail: `"${policy.name}" is id ${matches[0].ID}, but dskit.context.json caches ${cached}`, fix: 'run dskit policy resolve' };
    }
    return cached === undefined
      ? { outcome: 'FAIL', check, detail: `"${policy.name}" is id ${matches[0].ID} but not cached`, fix: 'run dskit policy resolve (synth and boot scripts read the cache)' }
      : { outcome: 'PASS', check, detail: `"${policy.name}" is id ${cached}` };
  } catch (err) {
    return failure(check, err);
  }
}

async function managerChecks(ctx: CommandContext, client: ManagerClient, clouds: readonly string[]): Promise<Check[]> {
  const config = ctx.config;
  const checks: Check[] = [];
  try {
    const key = await client.currentApiKey();
    checks.push({ outcome: 'PASS', check: 'API key works', detail: `key "${shown(key.keyName ?? String(key.ID))}" at ${client.baseUrl} (sent as ${client.keyHeader})` });
  } catch (err) {
    checks.push({
      ...failure('API key works', err),
      fix: `check ${config.manager.apiKeyEnv} and the manager URL; the key must be active and its role allowed to read policies and computers`,
    });
    return checks; // nothing else can succeed without a working key
  }

  checks.push(await policyCheck(client, 'policy', config.policy, ctx.cwd));
  for (const cloud of CLOUDS.filter((c) => clouds.includes(c))) {
    for (const [i, vm] of vmsOf(config, cloud).entries()) {
      if (vm.policy) checks.push(await policyCheck(client, `${cloud}.vms[${i}].policy`, effectivePolicy(config, vm), ctx.cwd));
    }
  }

  const groupId = config.policy.groupId;
  if (groupId > 0) {
    try {
      const g = await client.describeComputerGroup(groupId);
      checks.push({ outcome: 'PASS', check: 'policy.groupId exists', detail: `computer group ${groupId} is "${shown(g.name ?? '')}"` });
    } catch (err) {
      checks.push(
        isNotFound(err)
          ? { outcome: 'FAIL', check: 'policy.groupId exists', detail: `no computer group with id ${groupId}`, fix: 'use 0 (none) or an id from Computers > groups' }
          : failure('policy.groupId exists', err),
      );
    }
  }
  if (config.policy.relayGroupId > 0) {
    checks.push({
      outcome: 'SKIP',
      check: 'policy.relayGroupId exists',
      detail: `relay group ${config.policy.relayGroupId}: the /api v1 REST API has no relay group endpoint; check Administration > Updates > Relay Management`,
    });
  }

  try {
    const value = (await client.systemSetting(AGENT_INITIATED_ACTIVATION)).value;
    const { allowed, restricted } = agentInitiatedActivationAllowed(value);
    checks.push(
      allowed
        ? {
            outcome: 'PASS',
            check: 'agent-initiated activation allowed',
            detail: `"${shown(value ?? '')}"${restricted ? ' (the VMs\' addresses must be on that IP list)' : ''}`,
          }
        : {
            outcome: 'FAIL',
            check: 'agent-initiated activation allowed',
            detail: `"${shown(value ?? '')}"`,
            fix: 'Administration > System Settings > Agents: Allow Agent-Initiated Activation "For any computers"',
          },
    );
  } catch (err) {
    checks.push(failure('agent-initiated activation allowed', err));
  }
  if (config.manager.type === 'vision-one') checks.push(...(await visionOneManagerChecks(ctx, client, failure)));
  return checks;
}

export const run: CommandRun<{ cloud?: string }> = async (ctx, opts) => {
  const config = ctx.config; // a bad config throws ConfigError: exit 2 with one line per problem
  const clouds = ctx.clouds(opts.cloud);
  const file = ctx.loadedConfig.file;
  const checks: Check[] = [{ outcome: 'PASS', check: 'config valid', detail: file }];

  const placeholders = placeholderProblems(config);
  checks.push(
    placeholders.length === 0
      ? { outcome: 'PASS', check: 'no placeholder values', detail: 'manager, tenant and project values are set' }
      : { outcome: 'FAIL', check: 'no placeholder values', detail: formatPlaceholderProblems(file, placeholders).join('; ') },
  );
  const keyProblems = clouds.map((cloud) => missingSigningKey(config, file, cloud)).filter((line) => line !== undefined);
  checks.push(
    config.manager.type === 'vision-one'
      ? { outcome: 'SKIP', check: 'agent signing key', detail: "vision-one: each Agent Installer package's SHA-256 is pinned in the boot scripts instead" }
      : !config.manager.verifyPackageSignature
      ? { outcome: 'SKIP', check: 'agent signing key', detail: 'manager.verifyPackageSignature is off' }
      : keyProblems.length === 0
        ? { outcome: 'PASS', check: 'agent signing key', detail: 'present, or no Linux VMs to verify' }
        : { outcome: 'FAIL', check: 'agent signing key', detail: keyProblems[0] },
  );
  const tokenSecret = activationTokenSecretOf(config.manager);
  if (tokenSecret === undefined) checks.push(...installerChecks(config, clouds));
  else {
    checks.push({
      outcome: 'PASS',
      check: 'activation token secret named',
      detail: `manager.activationTokenSecret "${tokenSecret}": store the token there (AWS Secrets Manager / GCP Secret Manager); VMs read it at boot`,
    });
  }

  let client: ManagerClient | undefined;
  try {
    const url = managerApiUrl(config.manager, ctx.options.managerUrl);
    checks.push({ outcome: 'PASS', check: 'manager URL', detail: url });
    try {
      client = managerClientFor(config.manager, {
        env: ctx.env,
        managerUrl: ctx.options.managerUrl,
        retry: { maxAttempts: 3 },
        onRetry: (n) => ctx.io.err(retryLine(n)),
      });
      checks.push({ outcome: 'PASS', check: 'API key set', detail: `${config.manager.apiKeyEnv} is set` });
    } catch (err) {
      if (!(err instanceof ManagerSetupError)) throw err;
      checks.push({ outcome: 'FAIL', check: 'API key set', detail: err.message });
    }
  } catch (err) {
    if (!(err instanceof ManagerSetupError)) throw err;
    checks.push({ outcome: 'FAIL', check: 'manager URL', detail: err.message });
  }
  // AWS: each VM's instance type is offered in the zone it goes into (lib/aws/placement.ts).
  if (clouds.includes('aws')) checks.push(...(await awsPlacementChecks(config, ctx.cwd, ctx.env)));
  if (client) checks.push(...(await managerChecks(ctx, client, clouds)));
  else checks.push({ outcome: 'SKIP', check: 'manager checks', detail: 'need the API key and manager URL (above)' });

  const ok = checks.every((c) => c.outcome !== 'FAIL');
  ctx.emit({ ok, checks }, () => [
    ...checks.map((c) => `${c.outcome}  ${c.check}: ${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`),
    ok ? 'preflight: ready to deploy' : `preflight: ${checks.filter((c) => c.outcome === 'FAIL').length} check(s) failed; fix them and run dskit preflight again`,
  ]);
  return ok ? EXIT_OK : EXIT_PROBLEM;
};
