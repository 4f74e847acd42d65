/**
 * How a vision-one sandbox's computers get their policy. The Agent Installer registers each agent
 * with agent-initiated activation and the manager's default policy; an event-based task of type
 * `agent-initiated-activation` whose condition matches the computer's host name then assigns the
 * policy (and the computer and relay groups) the config gives that VM. Trend, "Automatically
 * perform tasks when a computer is added or changed (event-based tasks)": conditions are Java
 * regular expressions, all must match; "Computer Name" is the computer's Hostname; *Assign Policy*,
 * *Assign Relay Group* and *Assign to Computer Group* are actions; tasks with identical conditions
 * run in name order, so each task's condition is unique (one task per distinct policy, matching
 * only the host names of the VMs that use it). playground-one (docs/integrations/endpoint-security.md)
 * assigns its SWP policies the same way, by platform.
 *
 * Chosen over assigning through the API after activation because it needs no second step after
 * the deploy, catches a VM that re-registers later (a replaced VM, a reactivation), and is the
 * mechanism Trend documents for agent-initiated activation; `dskit policy ensure` creates and
 * records the tasks (teardown deletes them), `dskit verify` checks them.
 */
import { displayName, effectivePolicy, vmsOf, type Cloud, type SandboxConfig, type VmConfig } from '../config';
import { parseDisplayName } from '../config/names';
import type { ComputerExpand, ComputerRecord, ManagerClient } from './client';
import type { EventBasedTask, EventBasedTaskAction } from './model';
import { dedupeById } from './sandbox-computers';

export const TASK_CREATED = 'event-based-task-created';

/** The event: an agent activated itself (what the Agent Installer's agents do). */
export const AGENT_INITIATED_ACTIVATION_EVENT = 'agent-initiated-activation';

export interface TaskAssignment {
  readonly policyId: number;
  readonly groupId: number;
  readonly relayGroupId: number;
}

/** A task dskit wants in the manager: its name, the VMs it covers, and the task itself. */
export interface DesiredTask {
  readonly name: string;
  /** `<sandbox>-<cloud>-<vm>` of the VMs it matches. */
  readonly vms: readonly string[];
  readonly assignment: TaskAssignment;
  readonly task: Required<Pick<EventBasedTask, 'name' | 'type' | 'enabled' | 'conditions' | 'actions'>>;
}

/** Every task of the sandbox is named with this prefix, so a lookup finds all of them (stale ones too). */
export function sandboxTaskPrefix(sandbox: string): string {
  return `dskit-${sandbox}-policy-`;
}

export function sandboxTaskName(sandbox: string, a: TaskAssignment): string {
  return `${sandboxTaskPrefix(sandbox)}${a.policyId}${a.groupId > 0 ? `-group-${a.groupId}` : ''}${a.relayGroupId > 0 ? `-relay-${a.relayGroupId}` : ''}`;
}

/**
 * The Java regex of a set of VMs' host names: `<sandbox>-<cloud>-<vm>-<n>`, any n from 1, and
 * perhaps a domain after it (an agent may report its FQDN); case-insensitive, since Windows shows
 * names in capitals. Names are [a-z0-9-] only (lib/config), so nothing in them needs escaping.
 */
export function hostNamePattern(vmPrefixes: readonly string[]): string {
  for (const p of vmPrefixes) if (!/^[a-z][a-z0-9-]*$/.test(p)) throw new Error(`host name prefix "${p}": expected [a-z][a-z0-9-]*`);
  return `(?i)(${[...vmPrefixes].sort().join('|')})-[1-9][0-9]*(\\..*)?`;
}

export function taskActions(a: TaskAssignment): EventBasedTaskAction[] {
  return [
    { type: 'assign-policy', parameterValue: a.policyId },
    ...(a.groupId > 0 ? [{ type: 'assign-group' as const, parameterValue: a.groupId }] : []),
    ...(a.relayGroupId > 0 ? [{ type: 'assign-relay' as const, parameterValue: a.relayGroupId }] : []),
  ];
}

/**
 * The tasks the config needs on these clouds, one per distinct (policy, group, relay group);
 * `policyIdOf` resolves a VM's policy (ids as given, names through the cache or the manager).
 */
export async function desiredTasks(
  config: SandboxConfig,
  clouds: readonly Cloud[],
  policyIdOf: (vm: VmConfig) => Promise<number>,
): Promise<DesiredTask[]> {
  const groups = new Map<string, { assignment: TaskAssignment; vms: string[] }>();
  for (const cloud of clouds) {
    for (const vm of vmsOf(config, cloud)) {
      if (vm.count === 0) continue;
      const policy = effectivePolicy(config, vm);
      const assignment = { policyId: await policyIdOf(vm), groupId: policy.groupId ?? 0, relayGroupId: policy.relayGroupId ?? 0 };
      const key = sandboxTaskName(config.name, assignment);
      const entry = groups.get(key) ?? { assignment, vms: [] };
      entry.vms.push(displayName(config.name, cloud, vm.name, 1).replace(/-1$/, ''));
      groups.set(key, entry);
    }
  }
  return [...groups].map(([name, { assignment, vms }]) => ({
    name,
    vms,
    assignment,
    task: {
      name,
      type: AGENT_INITIATED_ACTIVATION_EVENT,
      enabled: true,
      conditions: [{ field: 'hostname', value: hostNamePattern(vms) }],
      actions: taskActions(assignment),
    },
  }));
}

/** What differs between a task in the manager and the one wanted (empty: the same). */
export function taskDifferences(
  found: { type?: string; enabled?: boolean; conditions?: readonly { field: string; key?: string; value?: string }[]; actions?: readonly { type: string; parameterValue?: number }[] },
  want: DesiredTask['task'],
): string[] {
  const out: string[] = [];
  if (found.type !== want.type) out.push(`event ${found.type ?? 'none'}, not ${want.type}`);
  if (found.enabled !== true) out.push('disabled');
  const conditions = (found.conditions ?? []).map((c) => `${c.field}${c.key ? `[${c.key}]` : ''}=${c.value ?? ''}`).sort();
  const wantConditions = want.conditions.map((c) => `${c.field}=${c.value}`).sort();
  if (JSON.stringify(conditions) !== JSON.stringify(wantConditions)) out.push(`conditions ${conditions.join(', ') || 'none'}, not ${wantConditions.join(', ')}`);
  const actions = (found.actions ?? []).map((a) => `${a.type}${a.parameterValue !== undefined ? ` ${a.parameterValue}` : ''}`).sort();
  const wantActions = want.actions.map((a) => `${a.type} ${a.parameterValue}`).sort();
  if (JSON.stringify(actions) !== JSON.stringify(wantActions)) out.push(`actions ${actions.join(', ') || 'none'}, not ${wantActions.join(', ')}`);
  return out;
}

/**
 * The computer's sandbox name in a vision-one manager: its display name when it has one of the
 * sandbox's, else its host name's first label (lower case) when that is one. An agent that
 * registered itself has no display name; its host name is what the boot script set.
 */
export function sandboxNameOfComputer(c: { displayName?: string; hostName?: string }, isSandboxName: (name: string) => boolean): string | undefined {
  if (c.displayName && isSandboxName(c.displayName)) return c.displayName;
  const host = c.hostName?.split('.')[0]?.toLowerCase();
  return host && isSandboxName(host) ? host : undefined;
}

/**
 * The sandbox's computers in a vision-one manager: found by display name and by host name (in any
 * case), each once, its `displayName` the sandbox name it answers to (sandboxNameOfComputer), so
 * the checks that match display names (compareComputers, sandboxComputersOf) work unchanged.
 */
export async function visionOneLookalikes(
  client: Pick<ManagerClient, 'computersWithDisplayNamePrefix' | 'computersWithHostNamePrefix'>,
  sandbox: string,
  clouds: readonly Cloud[],
  expand: readonly ComputerExpand[] = ['computerStatus'],
): Promise<ComputerRecord[]> {
  const found: ComputerRecord[] = [];
  for (const cloud of clouds) {
    found.push(...(await client.computersWithDisplayNamePrefix(`${sandbox}-${cloud}-`, expand)));
    found.push(...(await client.computersWithHostNamePrefix(`${sandbox}-${cloud}-`, expand)));
  }
  const isSandboxName = (name: string) => {
    const parsed = parseDisplayName(sandbox, name);
    return parsed !== undefined && clouds.includes(parsed.cloud);
  };
  return dedupeById(found).map((c) => ({ ...c, displayName: sandboxNameOfComputer(c, isSandboxName) ?? c.displayName })) as ComputerRecord[];
}
