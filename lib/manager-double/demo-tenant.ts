/**
 * The tenant `dskit demo-manager` serves: what a manager looks like once a sandbox of this config
 * is deployed and every agent has activated — its policies (the config's, by id or name, under a
 * "Base Policy"), one active computer per VM display name on its policy, a computer group when
 * the config names one, Agent-Initiated Activation allowed, and a few IPS rules released over the
 * last weeks (one depending on another) for `rules stage` to find, and the Trend rules `dskit
 * exercise` looks up (IPS, integrity monitoring, log inspection) under their real identifiers.
 * Names say they are demo data.
 */
import { expectedComputers, type SandboxConfig, type VmOs } from '../config';
import { TRIGGERS } from '../exercise/catalogue';
import type { FakeManagerApi } from './fake-manager-api';

/** The platform string a manager shows for an agent on each OS (informational). */
const PLATFORM: Record<VmOs, string> = {
  'amazon-linux-2023': 'Amazon Linux 2023 (64 bit)',
  'ubuntu-22.04': 'Ubuntu Linux 22 (64 bit)',
  'ubuntu-24.04': 'Ubuntu Linux 24 (64 bit)',
  'rhel-9': 'Red Hat Enterprise 9 (64 bit)',
  'debian-12': 'Debian 12 (64 bit)',
  'windows-2022': 'Microsoft Windows Server 2022 (64 bit)',
};

const DAY = 86_400_000;

export interface DemoTenant {
  readonly policies: number;
  readonly computers: number;
  readonly rules: number;
  /** The ids of the config's policies, by how the config names them (`id 9`, `name Linux Server`). */
  readonly policyIds: ReadonlyMap<string, number>;
}

export function seedDemoTenant(fake: FakeManagerApi, config: SandboxConfig, now = Date.now()): DemoTenant {
  const base = fake.addPolicy({ ID: 1, name: 'Base Policy', description: 'demo-manager: a stand-in policy' });
  const policyIds = new Map<string, number>();
  const named = new Map<string, number>([['Base Policy', base]]);
  const policyFor = (p: { id?: number; name?: string }): number => {
    const key = p.id !== undefined ? `id ${p.id}` : `name ${p.name}`;
    let id = policyIds.get(key);
    if (id === undefined) {
      if (p.id !== undefined) {
        id = p.id === base ? base : fake.addPolicy({ ID: p.id, name: p.id === 9 ? 'Linux Server' : `Demo policy ${p.id}`, parentID: base });
        if (p.id !== base) named.set(fake.policies.get(id)!.name, id);
      } else {
        id = named.get(p.name!) ?? fake.addPolicy({ name: p.name, parentID: base, description: 'demo-manager: a stand-in policy' });
        named.set(p.name!, id);
      }
      policyIds.set(key, id);
    }
    return id;
  };
  policyFor(config.policy);
  // The usual parents `policy ensure --parent` is given, when the config did not make them already.
  for (const name of ['Linux Server', 'Windows Server']) if (!named.has(name)) named.set(name, fake.addPolicy({ name, parentID: base }));

  let computers = 0;
  for (const e of expectedComputers(config)) {
    fake.addComputer({
      displayName: e.displayName,
      hostName: `${e.displayName}.demo.invalid`,
      policyID: policyFor(e.policy),
      platform: PLATFORM[e.vm.os],
      agentVersion: '20.0.1-21510',
      lastAgentCommunication: now - 60_000,
      ...(config.policy.groupId > 0 ? { groupID: config.policy.groupId } : {}),
    });
    computers++;
  }
  if (config.policy.groupId > 0) fake.addComputerGroup({ ID: config.policy.groupId, name: 'Demo computer group' });

  const rule = (identifier: string, daysAgo: number, name: string, extra: Record<string, unknown> = {}) =>
    fake.addIntrusionPreventionRule({ identifier, name: `${identifier} - ${name}`, severity: 'high', type: 'vulnerability', originalIssue: now - daysAgo * DAY, lastUpdated: now - daysAgo * DAY, ...extra });
  const dependency = rule('1000900', 400, 'Demo: protocol decoder (a dependency)', { severity: 'medium', type: 'smart' });
  const ids = [
    dependency,
    rule('1012001', 3, 'Demo: HTTP header overflow (CVE-0000-0001)', { dependsOnRuleIDs: [dependency] }),
    rule('1012002', 9, 'Demo: SQL injection in a login form (CVE-0000-0002)'),
    rule('1012003', 17, 'Demo: path traversal in a file download (CVE-0000-0003)'),
    rule('1011800', 45, 'Demo: deserialisation of untrusted data (CVE-0000-0004)'),
    rule('1010500', 200, 'Demo: an older rule (CVE-0000-0005)', { severity: 'critical' }),
  ];
  // The rules exercise's triggers need, by the identifiers Trend gives them (lib/exercise/catalogue.ts).
  const add = { ips: 'addIntrusionPreventionRule', im: 'addIntegrityMonitoringRule', li: 'addLogInspectionRule' } as const;
  const seeded = new Set<string>();
  for (const [key, trigger] of Object.entries(TRIGGERS)) {
    const method = add[key as keyof typeof add];
    if (!method) continue;
    for (const r of Object.values(trigger.rules).flat()) {
      if (seeded.has(`${key} ${r.identifier}`)) continue;
      seeded.add(`${key} ${r.identifier}`);
      fake[method]({ identifier: r.identifier, name: r.name, description: 'demo-manager: a stand-in of the Trend rule', originalIssue: now - 400 * DAY, lastUpdated: now - 400 * DAY });
    }
  }
  return { policies: fake.policies.size, computers, rules: ids.length, policyIds };
}
