/**
 * What the CLI does differently for `manager.type: vision-one` (docs/vision-one.md):
 * - `policy ensure` creates and records the event-based tasks that give the sandbox's computers
 *   their policy (lib/manager/sandbox-tasks.ts), and removes stale ones of the sandbox;
 * - `verify` checks those tasks, and finds computers by host name too;
 * - `teardown` deletes the recorded tasks (newest first, with the other recorded changes);
 * - `preflight` checks the Agent Installer files and the manager's agent-initiated activation.
 */
import { installerPackage, inspectInstaller, INSTALLER_DOWNLOAD_HINT } from '../../agent/installers';
import {
  CLOUDS,
  effectivePolicy,
  installerDescription,
  installerKey,
  installerPathOf,
  neededInstallerKinds,
  type Cloud,
  type SandboxConfig,
} from '../../config';
import { changesOf, forgetChange, recordChange, type ManagerChange } from '../../context';
import {
  TASK_CREATED,
  createOnce,
  desiredTasks,
  isNotFound,
  sandboxTaskPrefix,
  shown,
  stringStartsWith,
  taskDifferences,
  type DesiredTask,
  type EventBasedTaskRecord,
  type ManagerClient,
} from '../../manager';
import type { CommandContext } from '../context';
import type { Check } from '../preflight/check';
import { resolvePolicyId } from './manager-session';

/** `platformSettingAgentInitiatedActivationSpecifyHostnameEnabled`: "Allow Agent to specify hostname". */
export const AIA_SPECIFY_HOSTNAME = 'platformSettingAgentInitiatedActivationSpecifyHostnameEnabled';

/** The tasks the config wants on every configured cloud, policies resolved the usual way. */
export async function wantedTasks(ctx: CommandContext, client: ManagerClient, clouds: readonly Cloud[] = CLOUDS.filter((c) => ctx.config[c])): Promise<DesiredTask[]> {
  const config = ctx.config;
  return desiredTasks(config, clouds, (vm) => resolvePolicyId(client, effectivePolicy(config, vm), ctx.cwd));
}

/** Every task of the sandbox in the manager, by its name prefix (stale ones too). */
async function sandboxTasksInManager(client: ManagerClient, sandbox: string): Promise<EventBasedTaskRecord[]> {
  const prefix = sandboxTaskPrefix(sandbox);
  return (await client.searchAll('eventbasedtasks', [stringStartsWith('name', prefix)])).filter((t) => t.name?.startsWith(prefix));
}

export interface TaskOutcome {
  readonly id: number;
  readonly name: string;
  readonly action: 'created' | 'adopted' | 'updated' | 'unchanged' | 'deleted (stale)';
  readonly vms: readonly string[];
  readonly changed: readonly string[];
}

/**
 * Creates, updates or deletes the sandbox's event-based tasks so the manager has exactly the ones
 * the config wants; every task that exists is recorded at once (teardown deletes what is recorded).
 */
export async function ensureSandboxTasks(ctx: CommandContext, client: ManagerClient): Promise<TaskOutcome[]> {
  const sandbox = ctx.config.name;
  const want = await wantedTasks(ctx, client);
  const existing = await sandboxTasksInManager(client, sandbox);
  const recorded = () => changesOf(sandbox, ctx.cwd).filter((c) => c.kind === TASK_CREATED);
  const record = (id: number, name: string) => {
    if (!recorded().some((c) => c.id === id)) recordChange(sandbox, { kind: TASK_CREATED, id, name, at: new Date().toISOString() }, ctx.cwd);
  };
  const out: TaskOutcome[] = [];
  for (const w of want) {
    const same = existing.filter((t) => t.name === w.name);
    if (same.length > 1) throw new Error(`${same.length} event-based tasks are named "${w.name}" (ids ${same.map((t) => t.ID).join(', ')}); delete the extra ones in the console`);
    if (same.length === 1) {
      const found = same[0];
      // Named as dskit names a sandbox's tasks: ours, recorded now if a run that made it died first.
      record(found.ID, w.name);
      const changed = taskDifferences(found, w.task);
      if (changed.length > 0) await client.modifyEventBasedTask(found.ID, { type: w.task.type, enabled: true, conditions: w.task.conditions, actions: w.task.actions });
      out.push({ id: found.ID, name: w.name, action: changed.length > 0 ? 'updated' : 'unchanged', vms: w.vms, changed });
      continue;
    }
    // Never a blind retry: a create whose answer was lost is found by name and adopted.
    const outcome = await createOnce({
      what: `event-based task "${w.name}"`,
      create: () => client.createEventBasedTask(w.task),
      find: () => client.eventBasedTasksNamed(w.name),
      onUncertain: (err) => ctx.io.err(`policy ensure: the create may have gone through (${err.message}); looking "${w.name}" up by name before trying again`),
    });
    record(outcome.object.ID, w.name);
    out.push({ id: outcome.object.ID, name: w.name, action: outcome.how, vms: w.vms, changed: [] });
  }
  // A policy the config no longer uses: its task would still assign it to the sandbox's host names.
  for (const stale of existing.filter((t) => !want.some((w) => w.name === t.name))) {
    try {
      await client.deleteEventBasedTask(stale.ID);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    forgetChange(sandbox, { kind: TASK_CREATED, id: stale.ID }, ctx.cwd);
    out.push({ id: stale.ID, name: stale.name ?? '', action: 'deleted (stale)', vms: [], changed: [] });
  }
  return out;
}

export function taskLines(outcomes: readonly TaskOutcome[]): string[] {
  return outcomes.flatMap((t) => [
    `event-based task ${shown(t.name)} (id ${t.id}): ${t.action}${t.vms.length ? `; on agent-initiated activation of ${t.vms.map((v) => `${v}-<n>`).join(', ')}` : ''}`,
    ...t.changed.map((c) => `  was: ${shown(c, 200)}`),
  ]);
}

export interface TaskCheck {
  readonly name: string;
  /** null: no such task in the manager. */
  readonly id: number | null;
  /** Empty when the task is as wanted. */
  readonly problems: readonly string[];
}

/** For verify: each wanted task exists, is enabled and matches; a stale one of the sandbox is a problem too. */
export async function checkSandboxTasks(ctx: CommandContext, client: ManagerClient): Promise<TaskCheck[]> {
  const want = await wantedTasks(ctx, client);
  const existing = await sandboxTasksInManager(client, ctx.config.name);
  const rows: TaskCheck[] = want.map((w) => {
    const found = existing.find((t) => t.name === w.name);
    return found ? { name: w.name, id: found.ID, problems: taskDifferences(found, w.task) } : { name: w.name, id: null, problems: ['missing: run `npx dskit policy ensure`'] };
  });
  for (const t of existing.filter((x) => !want.some((w) => w.name === x.name))) {
    rows.push({ name: t.name ?? '', id: t.ID, problems: ['not in sandbox.yaml any more: run `npx dskit policy ensure` to delete it'] });
  }
  return rows;
}

export function isTaskChange(c: ManagerChange): boolean {
  return c.kind === TASK_CREATED;
}

export function describeTaskChange(c: ManagerChange): string {
  return `delete event-based task "${c.name}" (id ${c.id}), created by dskit policy ensure`;
}

export async function undoTaskChange(client: ManagerClient, c: ManagerChange): Promise<void> {
  await client.deleteEventBasedTask(c.id);
}

/** Preflight's finding shape (lib/cli/preflight/check.ts). */
export type InstallerCheck = Check;

/** For preflight: each package the VMs need is set, present, the right OS/arch by name and content; its digest. */
export function installerChecks(config: SandboxConfig, clouds: readonly Cloud[]): InstallerCheck[] {
  const m = config.manager;
  if (m.type !== 'vision-one') return [];
  return neededInstallerKinds(config, clouds).map((kind): InstallerCheck => {
    const check = `Agent Installer package (${installerDescription(kind)})`;
    const file = installerPathOf(m.installers, kind);
    if (file === undefined) return { outcome: 'FAIL', check, detail: `${installerKey(kind)} is not set`, fix: INSTALLER_DOWNLOAD_HINT };
    const inspection = inspectInstaller(file, kind);
    if (inspection.problem) return { outcome: 'FAIL', check, detail: `${installerKey(kind)}: ${file}: ${inspection.problem.replace(`; ${INSTALLER_DOWNLOAD_HINT}`, '')}`, fix: INSTALLER_DOWNLOAD_HINT };
    const pkg = installerPackage(m, kind);
    return { outcome: 'PASS', check, detail: `${file}: ${inspection.checked}, SHA-256 ${pkg.sha256} (pinned in the boot scripts)` };
  });
}

/** For preflight, with the key working: the manager lets agents name themselves, and has the sandbox's tasks. */
export async function visionOneManagerChecks(
  ctx: CommandContext,
  client: ManagerClient,
  failure: (check: string, err: unknown) => InstallerCheck,
): Promise<InstallerCheck[]> {
  const checks: InstallerCheck[] = [];
  const hostCheck = 'agents may specify their host name';
  try {
    const value = (await client.systemSetting(AIA_SPECIFY_HOSTNAME)).value ?? '';
    checks.push(
      /^true$/i.test(value.trim())
        ? { outcome: 'PASS', check: hostCheck, detail: `${AIA_SPECIFY_HOSTNAME} is ${shown(value)}: computers are known by the host names the boot scripts set` }
        : {
            outcome: 'FAIL',
            check: hostCheck,
            detail: `${AIA_SPECIFY_HOSTNAME} is "${shown(value)}": the manager would not name computers by the host names the boot scripts set`,
            fix: 'Administration > System Settings > Agents: Allow Agent to specify hostname (Trend: "Enable agent-initiated activation")',
          },
    );
  } catch (err) {
    checks.push(failure(hostCheck, err));
  }
  const taskCheck = "event-based tasks assign the sandbox's policies";
  try {
    const rows = await checkSandboxTasks(ctx, client);
    const bad = rows.filter((r) => r.problems.length > 0);
    checks.push(
      bad.length === 0
        ? { outcome: 'PASS', check: taskCheck, detail: rows.map((r) => `${shown(r.name)} (id ${r.id})`).join(', ') }
        : { outcome: 'FAIL', check: taskCheck, detail: bad.map((r) => `${shown(r.name)}: ${r.problems.map((p) => shown(p, 200)).join('; ')}`).join(' | '), fix: 'run `npx dskit policy ensure`' },
    );
  } catch (err) {
    checks.push(failure(taskCheck, err));
  }
  return checks;
}
