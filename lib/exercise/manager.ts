/**
 * The manager's side of an exercise: the sandbox's computers (display names
 * `<sandbox>-<cloud>-<vm>-<n>`) with each module's state, rules, status and settings as they apply
 * to the computer, the manager's ids of the Trend rules the triggers need, and which of the
 * assigned firewall rules deny the probe. Calls only the `/api` v1 endpoints of the catalog.
 */
import type { Cloud } from '../config';
import { z } from 'zod';
import { sandboxComputersOf, stringEquals, stringStartsWith, visionOneLookalikes, type Computer, type ManagerClient } from '../manager';
import type { ComputerExpand } from '../manager/client';
import { apiPath } from '../manager/paths';
import { firewallRuleSchema, ruleSummarySchema } from '../manager/schemas';
import { TRIGGERS, type ModuleKey, type Platform } from './catalogue';
import { deniesProbe, MODULE_EXTENSIONS, ruleKey, type ComputerFacts, type ModuleFacts, type RuleDirectory } from './readiness';

/** `expand` values of `POST /computers/search` the readiness check reads. */
export const COMPUTER_EXPAND: readonly ComputerExpand[] = [
  'computerStatus',
  'computerSettings',
  'antiMalware',
  'webReputation',
  'firewall',
  'intrusionPrevention',
  'integrityMonitoring',
  'logInspection',
];

/** The search collection and its list wrapper for each module with Trend rules. */
const RULE_COLLECTIONS: Partial<Record<ModuleKey, { path: string; wrapper: string }>> = {
  ips: { path: 'intrusionpreventionrules', wrapper: 'intrusionPreventionRules' },
  im: { path: 'integritymonitoringrules', wrapper: 'integrityMonitoringRules' },
  li: { path: 'loginspectionrules', wrapper: 'logInspectionRules' },
};

/** A sane bound: a sandbox policy with more firewall rules than this is not one dskit made. */
const MAX_FIREWALL_RULES = 200;

type Json = Record<string, any>;

function moduleFacts(ext: Json | undefined): ModuleFacts {
  if (!ext || typeof ext !== 'object') return {};
  return {
    state: typeof ext.state === 'string' ? ext.state : undefined,
    ruleIDs: Array.isArray(ext.ruleIDs) ? ext.ruleIDs.filter((n: unknown): n is number => typeof n === 'number') : undefined,
    status: typeof ext.moduleStatus?.agentStatus === 'string' ? ext.moduleStatus.agentStatus : undefined,
    statusMessage: typeof ext.moduleStatus?.agentStatusMessage === 'string' ? ext.moduleStatus.agentStatusMessage : undefined,
    realTimeScanConfigurationID: typeof ext.realTimeScanConfigurationID === 'number' ? ext.realTimeScanConfigurationID : undefined,
  };
}

export function computerFacts(c: Computer & Json): ComputerFacts {
  const settings: Record<string, string> = {};
  for (const [name, v] of Object.entries((c.computerSettings ?? {}) as Json)) {
    if (v && typeof v.value === 'string') settings[name] = v.value;
  }
  const modules: Partial<Record<ModuleKey, ModuleFacts>> = {};
  for (const [key, ext] of Object.entries(MODULE_EXTENSIONS) as [ModuleKey, string][]) modules[key] = moduleFacts(c[ext]);
  return {
    id: c.ID!,
    displayName: c.displayName!,
    hostName: c.hostName || undefined,
    policyId: c.policyID,
    agentStatus: c.computerStatus?.agentStatus,
    agentStatusMessages: c.computerStatus?.agentStatusMessages,
    modules,
    settings,
  };
}

/** The sandbox's computers on these clouds, by display name (a duplicate name keeps the one seen last). */
export async function sandboxComputerFacts(
  client: ManagerClient,
  sandbox: string,
  clouds: readonly Cloud[],
  expectedNames: readonly string[],
  managerType?: string,
): Promise<Map<string, ComputerFacts>> {
  const found: Computer[] = [];
  if (managerType === 'vision-one') {
    // Agents that registered themselves are known by their host names, as verify and teardown find them.
    found.push(...((await visionOneLookalikes(client, sandbox, clouds, COMPUTER_EXPAND)) as Computer[]));
  } else {
    for (const cloud of clouds) {
      found.push(...(await client.searchAll('computers', [stringStartsWith('displayName', `${sandbox}-${cloud}-`)], { expand: [...COMPUTER_EXPAND] })));
    }
  }
  const out = new Map<string, ComputerFacts>();
  for (const s of sandboxComputersOf(found, sandbox, clouds, expectedNames)) out.set(s.computer.displayName, computerFacts(s.computer));
  return out;
}

/** The manager's ids of the Trend rules the chosen triggers need, and the firewall rules that drop the probe. */
export async function ruleDirectory(
  client: ManagerClient,
  modules: readonly ModuleKey[],
  platforms: readonly Platform[],
  computers: Iterable<ComputerFacts>,
): Promise<RuleDirectory> {
  const ids = new Map<string, number[]>();
  for (const key of modules) {
    const collection = RULE_COLLECTIONS[key];
    if (!collection) continue;
    const identifiers = new Set(platforms.flatMap((p) => TRIGGERS[key].rules[p].map((r) => r.identifier)));
    for (const identifier of identifiers) {
      const found = z.object({ [collection.wrapper]: z.array(ruleSummarySchema).max(10).optional() });
      const res = await client.request('POST', apiPath(collection.path, 'search'), found, {
        body: { maxItems: 10, searchCriteria: [stringEquals('identifier', identifier)] },
      });
      const items = res[collection.wrapper] ?? [];
      ids.set(ruleKey(key, identifier), items.filter((r) => r.identifier === identifier).map((r) => r.ID));
    }
  }
  const probeDenials = new Set<number>();
  if (modules.includes('fw')) {
    const assigned = new Set<number>();
    for (const c of computers) for (const id of c.modules.fw?.ruleIDs ?? []) assigned.add(id);
    for (const id of [...assigned].sort((a, b) => a - b).slice(0, MAX_FIREWALL_RULES)) {
      const rule = await client.request('GET', apiPath('firewallrules', { id, what: 'firewall rule id' }), firewallRuleSchema);
      if (deniesProbe(rule)) probeDenials.add(id);
    }
  }
  return { ids, probeDenials };
}
