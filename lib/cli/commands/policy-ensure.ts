/**
 * `dskit policy ensure --parent NAME`: find or create `<sandbox>-policy` under NAME with intrusion
 * prevention in detect mode and, when events.syslogConfigId is set, every module's events sent to
 * that syslog configuration. What it creates or changes is recorded in dskit.context.json so
 * teardown undoes exactly that; a second run changes nothing.
 */
import { cachePolicyId, changesOf, recordChange } from '../../context';
import { SYSLOG_CONFIG_SETTINGS, type Policy, type PolicySettings } from '../../manager';
import type { CommandRun } from '../program';
import { EXIT_OK, OperationError } from '../errors';
import { managerClient, managerCommand } from './manager-session';

export const POLICY_CREATED = 'policy-created';
export const POLICY_MODIFIED = 'policy-modified';

export function sandboxPolicyName(sandbox: string): string {
  return `${sandbox}-policy`;
}

/** The settings the sandbox policy must have. */
function desiredSettings(syslogConfigId: number): PolicySettings {
  if (syslogConfigId <= 0) return {};
  return Object.fromEntries(SYSLOG_CONFIG_SETTINGS.map((s) => [s, { value: String(syslogConfigId) }]));
}

export const run: CommandRun<{ parent: string }> = managerCommand(async (ctx, opts) => {
  const config = ctx.config;
  const client = managerClient(ctx);
  const name = sandboxPolicyName(config.name);

  const parents = await client.policiesNamed(opts.parent);
  if (parents.length !== 1) {
    throw new OperationError(
      parents.length === 0
        ? `--parent: no policy named "${opts.parent}" in the manager (names match exactly); pick one from Policies in the console`
        : `--parent: ${parents.length} policies are named "${opts.parent}" (ids ${parents.map((p) => p.ID).join(', ')}); rename one`,
    );
  }
  const parent = parents[0];
  const settings = desiredSettings(config.events.syslogConfigId);
  const existing = await client.policiesNamed(name);
  if (existing.length > 1) throw new OperationError(`${existing.length} policies are named "${name}"; delete the extra ones in the console`);

  let policy: Policy;
  let action: 'created' | 'updated' | 'unchanged';
  const changed: string[] = [];
  if (existing.length === 0) {
    policy = await client.createPolicy({
      name,
      parentID: parent.ID,
      description: `dskit sandbox ${config.name}: created by dskit policy ensure; dskit teardown deletes it`,
      intrusionPrevention: { state: 'detect' },
      ...(Object.keys(settings).length > 0 ? { policySettings: settings } : {}),
    });
    recordChange(config.name, { kind: POLICY_CREATED, id: policy.ID!, name, at: new Date().toISOString() }, ctx.cwd);
    action = 'created';
  } else {
    policy = existing[0];
    if (policy.parentID !== parent.ID) {
      throw new OperationError(
        `"${name}" (id ${policy.ID}) exists under parent id ${policy.parentID ?? 'none'}, not "${opts.parent}" (id ${parent.ID}); ` +
          'delete or rename it in the console, or pass the parent it has',
      );
    }
    const previous: Policy = {};
    const update: Policy = {};
    if (policy.intrusionPrevention?.state !== 'detect') {
      previous.intrusionPrevention = { state: policy.intrusionPrevention?.state ?? 'inherited' };
      update.intrusionPrevention = { state: 'detect' };
      changed.push(`intrusionPrevention.state ${policy.intrusionPrevention?.state ?? 'unset'} → detect`);
    }
    for (const [setting, want] of Object.entries(settings)) {
      const have = policy.policySettings?.[setting]?.value ?? '';
      if (have !== want.value) {
        (previous.policySettings ??= {})[setting] = { value: have };
        (update.policySettings ??= {})[setting] = want;
        changed.push(`${setting} ${have || 'unset'} → ${want.value}`);
      }
    }
    action = changed.length > 0 ? 'updated' : 'unchanged';
    if (changed.length > 0) {
      policy = await client.modifyPolicy(policy.ID!, update);
      const createdByDskit = changesOf(config.name, ctx.cwd).some((c) => c.kind === POLICY_CREATED && c.id === policy.ID);
      // A policy dskit created is deleted on teardown; one it only changed gets its old values back.
      if (!createdByDskit) recordChange(config.name, { kind: POLICY_MODIFIED, id: policy.ID!, name, previous, at: new Date().toISOString() }, ctx.cwd);
    }
  }
  cachePolicyId(name, policy.ID!, ctx.cwd);

  ctx.emit({ policy: { id: policy.ID, name, parentId: parent.ID }, action, changed }, () => [
    `${name} (id ${policy.ID}, parent "${parent.name}" id ${parent.ID}): ${action}`,
    ...changed.map((c) => `  ${c}`),
    ...(action === 'created' ? ['  intrusion prevention: detect', ...Object.keys(settings).map((s) => `  ${s}: ${settings[s].value}`)] : []),
    `to use it, set policy: { name: ${name} } in ${ctx.loadedConfig.file} (its id ${policy.ID} is cached in dskit.context.json)`,
  ]);
  return EXIT_OK;
});
