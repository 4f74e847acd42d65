/**
 * `dskit policy ensure --parent NAME`: find or create `<sandbox>-policy` under NAME with intrusion
 * prevention in detect mode and, when events.syslogConfigId is set, every module's events sent to
 * that syslog configuration. What it creates or changes is recorded in dskit.context.json so
 * teardown undoes exactly that; a second run changes nothing.
 */
import { syslogForwardingWarning } from '../../config';
import { cachePolicyId, changesOf, recordChange } from '../../context';
import { SYSLOG_CONFIG_SETTINGS, createOnce, shown, type Policy, type PolicyRecord, type PolicySettings } from '../../manager';
import type { CommandRun } from '../program';
import { EXIT_OK, OperationError, UsageError } from '../errors';
import { managerClient, managerCommand, nearMatchHint } from './manager-session';
import { ensureSandboxTasks, taskLines } from './vision-one';

export const POLICY_CREATED = 'policy-created';
export const POLICY_MODIFIED = 'policy-modified';

export function sandboxPolicyName(sandbox: string): string {
  return `${sandbox}-policy`;
}

/**
 * The description `policy ensure` gives the policy it creates. It marks the policy as dskit's:
 * when a create committed but dskit never learned it (the process died before recording it), the
 * next run finds this and records the policy as created, so teardown still deletes it.
 */
export function sandboxPolicyDescription(sandbox: string): string {
  return `dskit sandbox ${sandbox}: created by dskit policy ensure; dskit teardown deletes it`;
}

/** The settings the sandbox policy must have. */
function desiredSettings(syslogConfigId: number): PolicySettings {
  if (syslogConfigId <= 0) return {};
  return Object.fromEntries(SYSLOG_CONFIG_SETTINGS.map((s) => [s, { value: String(syslogConfigId) }]));
}

export const run: CommandRun<{ parent?: string }> = managerCommand(async (ctx, opts) => {
  const config = ctx.config;
  const visionOne = config.manager.type === 'vision-one';
  if (opts.parent === undefined && !visionOne) throw new UsageError("--parent: required option '--parent <name>' not specified");
  const client = managerClient(ctx);
  if (opts.parent === undefined) {
    // vision-one, the policy as configured: only the event-based tasks that assign it.
    const tasks = await ensureSandboxTasks(ctx, client);
    // The same keys as with --parent: no sandbox policy was asked for.
    ctx.emit({ policy: null, action: null, changed: [], syslogConfigId: config.events.syslogConfigId || null, tasks }, () => taskLines(tasks));
    return EXIT_OK;
  }
  const parentName = opts.parent;
  const name = sandboxPolicyName(config.name);
  const noForwarding = syslogForwardingWarning(config);
  if (noForwarding) ctx.warn(noForwarding.message, { key: noForwarding.path.join('.'), fix: noForwarding.fix });

  const parents = await client.policiesNamed(parentName);
  if (parents.length !== 1) {
    throw new OperationError(
      parents.length === 0
        ? `--parent: no policy named "${shown(parentName)}" in the manager (names match exactly, case included)${await nearMatchHint(client, parentName)}; pick one from Policies in the console`
        : `--parent: ${parents.length} policies are named "${shown(parentName)}" (ids ${parents.map((p) => p.ID).join(', ')}); rename one`,
    );
  }
  const parent = parents[0];
  const settings = desiredSettings(config.events.syslogConfigId);
  const existing = await client.policiesNamed(name);
  if (existing.length > 1) throw new OperationError(`${existing.length} policies are named "${name}"; delete the extra ones in the console`);

  let policy: PolicyRecord;
  let action: 'created' | 'adopted' | 'updated' | 'unchanged';
  const changed: string[] = [];
  const recordedCreated = (id: number) => changesOf(config.name, ctx.cwd).some((c) => c.kind === POLICY_CREATED && c.id === id);
  const recordCreated = (id: number) => {
    if (!recordedCreated(id)) recordChange(config.name, { kind: POLICY_CREATED, id, name, at: new Date().toISOString() }, ctx.cwd);
  };
  if (existing.length === 0) {
    // Never a blind retry: a create whose answer was lost is looked up by name and adopted (create-once.ts).
    const outcome = await createOnce({
      what: `policy "${name}"`,
      create: () =>
        client.createPolicy({
          name,
          parentID: parent.ID,
          description: sandboxPolicyDescription(config.name),
          intrusionPrevention: { state: 'detect' },
          ...(Object.keys(settings).length > 0 ? { policySettings: settings } : {}),
        }),
      find: () => client.policiesNamed(name),
      onUncertain: (err) => ctx.io.err(`policy ensure: the create may have gone through (${err.message}); looking "${name}" up by name before trying again`),
    });
    policy = outcome.object;
    // Recorded at once, whichever way it came to exist: teardown deletes what is recorded.
    recordCreated(policy.ID);
    action = outcome.how;
  } else {
    policy = existing[0];
    // Ours, by its description, but unrecorded (a run that died between create and record): record it now.
    if (policy.description === sandboxPolicyDescription(config.name)) recordCreated(policy.ID);
    if (policy.parentID !== parent.ID) {
      throw new OperationError(
        `"${name}" (id ${policy.ID}) exists under parent id ${policy.parentID ?? 'none'}, not "${parentName}" (id ${parent.ID}); ` +
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
      // A policy dskit created is deleted on teardown; one it only changed gets its old values back
      // (recorded before the change, so a crash right after still leaves the way back).
      if (!recordedCreated(policy.ID)) recordChange(config.name, { kind: POLICY_MODIFIED, id: policy.ID, name, previous, at: new Date().toISOString() }, ctx.cwd);
      policy = await client.modifyPolicy(policy.ID, update);
    }
  }
  cachePolicyId(name, policy.ID, ctx.cwd);
  // vision-one: then the tasks that assign the configured policies (this one, once the config names it).
  const tasks = visionOne ? await ensureSandboxTasks(ctx, client) : undefined;

  ctx.emit({ policy: { id: policy.ID, name, parentId: parent.ID, parentName: parent.name ?? null }, action, changed, syslogConfigId: config.events.syslogConfigId || null, tasks: tasks ?? null }, () => [
    `${name} (id ${policy.ID}, parent "${shown(parent.name ?? '')}" id ${parent.ID}): ${action}`,
    ...changed.map((c) => `  ${c}`),
    ...(action === 'created' || action === 'adopted' ? ['  intrusion prevention: detect', ...Object.keys(settings).map((s) => `  ${s}: ${settings[s].value}`)] : []),
    `to use it, set policy: { name: ${name} } in ${ctx.loadedConfig.file} (its id ${policy.ID} is cached in dskit.context.json)`,
    ...(tasks ? taskLines(tasks) : []),
  ]);
  return EXIT_OK;
});
