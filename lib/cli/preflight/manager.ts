/**
 * The manager side of preflight, through the /api v1 client: the key works, the policies and the
 * group exist, agents may activate themselves, and events are forwarded where the VMs listen.
 */
import { CLOUDS, effectivePolicy, syslogForwardingWarning, vmsOf, type PolicyConfig } from '../../config';
import { cachedPolicyId } from '../../context';
import {
  AGENT_INITIATED_ACTIVATION,
  ManagerApiError,
  ManagerUnreachableError,
  SYSLOG_CONFIG_SETTINGS,
  agentInitiatedActivationAllowed,
  isNotFound,
  shown,
  type ManagerClient,
} from '../../manager';
import type { CommandContext } from '../context';
import { nearMatchHint } from '../commands/manager-session';
import { visionOneManagerChecks } from '../commands/vision-one';
import { fail, pass, skip, warn, type Check } from './check';

/** The fix for a call that failed, by why it failed: a DNS failure is not the key's fault. */
function fixFor(err: ManagerApiError | ManagerUnreachableError, apiKeyEnv: string): string {
  if (err instanceof ManagerUnreachableError) {
    if (/^(ENOTFOUND|EAI_AGAIN)\b/.test(err.reason)) return "the manager's host name does not resolve: check --manager-url / manager.url (and manager.type/region) and your DNS or VPN";
    if (/^ECONNREFUSED\b/.test(err.reason)) return 'nothing listens there: check the host and port of --manager-url / manager.url';
    return 'check --manager-url / manager.url, your network and any proxy (HTTPS_PROXY)';
  }
  if (err.status === 401) return `check ${apiKeyEnv} (Administration > User Management > API Keys: the key must be active)`;
  if (err.status === 403) return "the key's role must be allowed to view policies, computers and system settings";
  if (err.status === 404) return "nothing answers at <url>/api there: --manager-url / manager.url must be the manager's base URL";
  return 'try again; if it persists, check the manager';
}

/** A manager call's failure as a check result, never a crash: the other checks still run. */
function failure(check: string, err: unknown, apiKeyEnv: string): Check {
  if (err instanceof ManagerApiError || err instanceof ManagerUnreachableError) return fail(check, err.message, fixFor(err, apiKeyEnv));
  throw err;
}

/** The policy's id as the deploy will use it (given, or cached by `policy resolve`), with its check. */
async function policyCheck(client: ManagerClient, where: string, policy: PolicyConfig, cwd: string, apiKeyEnv: string): Promise<{ check: Check; id?: number; name?: string }> {
  const check = `${where} exists`;
  const key = where === 'policy' ? (policy.id !== undefined ? 'policy.id' : 'policy.name') : `${where}.${policy.id !== undefined ? 'id' : 'name'}`;
  try {
    if (policy.id !== undefined) {
      const p = await client.findPolicy(policy.id);
      return p
        ? { check: pass(check, `policy id ${policy.id} is "${shown(p.name ?? '')}"`, key), id: policy.id, name: p.name }
        : { check: fail(check, `no policy with id ${policy.id}`, 'pick an id from Policies in the console (the id shows in the policy URL)', key) };
    }
    const matches = await client.policiesNamed(policy.name!);
    const cached = cachedPolicyId(policy.name!, cwd);
    if (matches.length !== 1) {
      return {
        check: fail(
          check,
          `${matches.length} policies named "${shown(policy.name!)}"${matches.length === 0 ? await nearMatchHint(client, policy.name!) : ''}`,
          matches.length === 0 ? 'check the name (exact, case included) or give policy.id' : 'give policy.id instead',
          key,
        ),
      };
    }
    if (cached !== undefined && cached !== matches[0].ID) {
      return { check: fail(check, `"${policy.name}" is id ${matches[0].ID}, but dskit.context.json caches ${cached}`, 'run dskit policy resolve', key) };
    }
    return cached === undefined
      ? { check: fail(check, `"${policy.name}" is id ${matches[0].ID} but not cached`, 'run dskit policy resolve (synth and boot scripts read the cache)', key), id: matches[0].ID, name: policy.name }
      : { check: pass(check, `"${policy.name}" is id ${cached}`, key), id: cached, name: policy.name };
  } catch (err) {
    return { check: failure(check, err, apiKeyEnv) };
  }
}

/**
 * Event forwarding: `events.syslogConfigId` set, and every policy the VMs use sends each module's
 * events to it (what `policy ensure` sets). Where that configuration sends them cannot be read:
 * the /api v1 API has no syslog configuration endpoint (its catalogs list none; policies only
 * reference one by id).
 */
async function forwardingChecks(ctx: CommandContext, client: ManagerClient, policies: readonly { id: number; name?: string }[], apiKeyEnv: string): Promise<Check[]> {
  const { syslogConfigId, syslogPort } = ctx.config.events;
  const CHECK = 'event forwarding';
  const missing = syslogForwardingWarning(ctx.config);
  // Optional (SPEC §3), so a warning: without it the sandbox deploys, but its event sinks stay empty.
  if (missing) return [warn(CHECK, `events.syslogConfigId ${missing.message}`, missing.fix, 'events.syslogConfigId')];
  const checks: Check[] = [];
  for (const p of policies) {
    const label = `policy ${p.id}${p.name ? ` "${shown(p.name)}"` : ''}`;
    try {
      const wrong: string[] = [];
      for (const setting of SYSLOG_CONFIG_SETTINGS) {
        const value = (await client.policySetting(p.id, setting)).value ?? '';
        if (value !== String(syslogConfigId)) wrong.push(`${setting.replace(/SettingSyslogConfigId$/, '')} → ${value === '' || value === '0' ? 'none' : shown(value, 20)}`);
      }
      checks.push(
        wrong.length === 0
          ? pass(CHECK, `${label} sends every module's events to syslog configuration ${syslogConfigId}`, 'events.syslogConfigId')
          : fail(
              CHECK,
              `${label} does not send ${wrong.length} module(s) to syslog configuration ${syslogConfigId} (${wrong.join(', ')})`,
              'use the sandbox policy from `npx dskit policy ensure --parent <policy>`, or set them in the policy (Settings > Event Forwarding)',
              'events.syslogConfigId',
            ),
      );
    } catch (err) {
      checks.push(failure(CHECK, err, apiKeyEnv));
    }
  }
  checks.push(
    skip(
      'syslog configuration target',
      `the /api v1 API cannot read syslog configurations: check in the console (Policies > Common Objects > Other > Syslog Configurations) that ${syslogConfigId} sends CEF over UDP to 127.0.0.1:${syslogPort}, agents forwarding directly`,
      'events.syslogConfigId',
    ),
  );
  return checks;
}

export async function managerChecks(ctx: CommandContext, client: ManagerClient, clouds: readonly string[]): Promise<Check[]> {
  const config = ctx.config;
  const apiKeyEnv = config.manager.apiKeyEnv;
  const checks: Check[] = [];
  try {
    const key = await client.currentApiKey();
    checks.push(pass('API key works', `key "${shown(key.keyName ?? String(key.ID))}" at ${client.baseUrl} (sent as ${client.keyHeader})`));
  } catch (err) {
    checks.push(failure('API key works', err, apiKeyEnv));
    checks.push(skip('manager checks', 'policies, group, activation setting and event forwarding need a working call (above)'));
    return checks; // nothing else can succeed without a working call
  }

  const used = new Map<number, string | undefined>();
  const top = await policyCheck(client, 'policy', config.policy, ctx.cwd, apiKeyEnv);
  checks.push(top.check);
  if (top.id !== undefined) used.set(top.id, top.name);
  for (const cloud of CLOUDS.filter((c) => clouds.includes(c))) {
    for (const [i, vm] of vmsOf(config, cloud).entries()) {
      if (!vm.policy) continue;
      const r = await policyCheck(client, `${cloud}.vms[${i}].policy`, effectivePolicy(config, vm), ctx.cwd, apiKeyEnv);
      checks.push(r.check);
      if (r.id !== undefined && vm.count > 0) used.set(r.id, r.name);
    }
  }

  const groupId = config.policy.groupId;
  if (groupId > 0) {
    try {
      const g = await client.describeComputerGroup(groupId);
      checks.push(pass('policy.groupId exists', `computer group ${groupId} is "${shown(g.name ?? '')}"`, 'policy.groupId'));
    } catch (err) {
      checks.push(
        isNotFound(err)
          ? fail('policy.groupId exists', `no computer group with id ${groupId}`, 'use 0 (none) or an id from Computers > groups', 'policy.groupId')
          : failure('policy.groupId exists', err, apiKeyEnv),
      );
    }
  }
  if (config.policy.relayGroupId > 0) {
    checks.push(
      skip('policy.relayGroupId exists', `relay group ${config.policy.relayGroupId}: the /api v1 API has no relay group endpoint; check Administration > Updates > Relay Management`, 'policy.relayGroupId'),
    );
  }

  const ACTIVATION = 'agent-initiated activation allowed';
  try {
    const value = (await client.systemSetting(AGENT_INITIATED_ACTIVATION)).value;
    const { allowed, restricted } = agentInitiatedActivationAllowed(value);
    checks.push(
      allowed
        ? pass(ACTIVATION, `"${shown(value ?? '')}"${restricted ? " (the VMs' addresses must be on that IP list)" : ''}`)
        : fail(ACTIVATION, `"${shown(value ?? '')}"`, 'Administration > System Settings > Agents: Allow Agent-Initiated Activation "For any computers"'),
    );
  } catch (err) {
    checks.push(failure(ACTIVATION, err, apiKeyEnv));
  }

  checks.push(...(await forwardingChecks(ctx, client, [...used].map(([id, name]) => ({ id, name })), apiKeyEnv)));
  // vision-one: agents may name themselves, and the event-based tasks give them their policies.
  if (config.manager.type === 'vision-one') checks.push(...(await visionOneManagerChecks(ctx, client, (check, err) => failure(check, err, apiKeyEnv))));
  return checks;
}
