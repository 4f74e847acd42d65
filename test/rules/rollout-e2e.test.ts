/**
 * `dskit rules stage` and `dskit rules promote` run as a user runs them (a child process) against
 * the fake manager, through to `teardown --manager-only` reverting what they did.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { startLab, sandboxRaw, type Lab } from '../manager/harness';

const DAY = 86_400_000;
const OLD = Date.parse('2024-03-01T00:00:00Z');
const NEW = Date.parse('2025-06-10T00:00:00Z');
const CEF = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690';

function ipsLine(identifier: string, at: number, host = 'ds-eval-aws-web-1'): string {
  return `<134>Jun 20 10:00:00 ${host} ${CEF}|${identifier}|rule ${identifier}|8|cn1=101 cn1Label=Host ID dvchost=${host} rt=${at} act=IDS:Reset src=198.51.100.7 dst=10.60.1.10 proto=TCP spt=40000 dpt=80`;
}

function firewallLine(at: number): string {
  return `<134>Jun 20 10:00:00 ds-eval-aws-web-1 ${CEF}|20|Out Of Allowed Policy|5|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1 rt=${at} act=Deny src=203.0.113.9 dst=10.60.1.10 proto=TCP spt=40001 dpt=23`;
}

interface Seeded {
  parentId: number;
  /** identifier → rule id */
  rules: Record<string, number>;
}

/** A manager with old rules, new ones (one already on the parent), and a helper rule one new rule depends on. */
function seedRules(lab: Lab): Seeded {
  const parentId = lab.fake.addPolicy({ name: 'Base Policy', intrusionPrevention: { state: 'prevent', ruleIDs: [] } });
  const rules: Record<string, number> = {};
  const add = (identifier: string, originalIssue: number, extra: Record<string, unknown> = {}) =>
    (rules[identifier] = lab.fake.addIntrusionPreventionRule({ identifier, name: `${identifier} - rule`, originalIssue, lastUpdated: NEW, severity: 'high', ...extra }));
  for (const id of ['1000001', '1000002', '1000003']) add(id, OLD); // updated recently, released long ago
  add('1000900', OLD); // a helper others depend on
  add('1011001', NEW, { dependsOnRuleIDs: [rules['1000900']] });
  add('1011002', NEW + DAY);
  add('1011003', NEW + 2 * DAY);
  add('1011004', NEW + 3 * DAY);
  lab.fake.policies.get(parentId)!.intrusionPrevention.ruleIDs = [rules['1011004']];
  return { parentId, rules };
}

const writes = (lab: Lab, since: number) =>
  lab.fake.requests.slice(since).filter((q) => q.method !== 'GET' && !q.path.endsWith('/search'));

function backdateStaging(lab: Lab, hours: number): void {
  const file = path.join(lab.dir, 'dskit.context.json');
  const ctx = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const r of ctx.ipsRollout['ds-eval']) r.stagedAt = new Date(Date.parse(r.stagedAt) - hours * 3_600_000).toISOString();
  fs.writeFileSync(file, JSON.stringify(ctx, null, 2));
}

describe('dskit rules stage, promote, and teardown reverting them', () => {
  let lab: Lab;
  let seeded: Seeded;
  let sandboxPolicy: number;
  const override = (identifier: string) => lab.fake.ruleOverrides.get(`${sandboxPolicy}/${seeded.rules[identifier]}`);
  const assigned = () => lab.fake.policies.get(sandboxPolicy)!.intrusionPrevention.ruleIDs as number[];

  beforeAll(async () => {
    lab = await startLab({ maxPageSize: 2 });
    seeded = seedRules(lab);
    lab.writeConfig(sandboxRaw(seeded.parentId));
  });
  afterAll(() => lab.close());

  test('without a sandbox policy it refuses (exit 2) and says to run policy ensure or pass --policy-id', async () => {
    const r = await lab.dskit(['rules', 'stage', '--released-since', '2025-06-01']);
    expect(r.stderr).toMatch(/no sandbox policy "ds-eval-policy" recorded .*policy ensure --parent .*--policy-id N/);
    expect(r.code).toBe(2);
    expect(writes(lab, 0)).toEqual([]);
  });

  test('bad flags are usage errors naming the flag, the value and what is allowed', async () => {
    const both = await lab.dskit(['rules', 'stage', '--released-since', '30d', '--rule-ids', '1011001']);
    expect(both.stderr).toMatch(/exactly one of --released-since .* or --rule-ids/);
    expect(both.code).toBe(2);
    const date = await lab.dskit(['rules', 'stage', '--released-since', 'last week']);
    expect(date.stderr).toMatch(/--released-since: got "last week"; expected a date \(2025-06-01\)/);
    expect(date.code).toBe(2);
    const ids = await lab.dskit(['rules', 'stage', '--rule-ids', '1011001,42']);
    expect(ids.stderr).toMatch(/--rule-ids: got "42"; allowed: 7-digit IPS rule identifiers/);
    expect(ids.code).toBe(2);
  });

  test('--dry-run lists exactly the new rules and changes nothing', async () => {
    const ensured = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(ensured.code).toBe(0);
    sandboxPolicy = lab.context().policyIds['ds-eval-policy'];
    const before = lab.fake.requests.length;
    const contextBefore = lab.context();
    const r = await lab.dskit(['rules', 'stage', '--released-since', '2025-06-01', '--dry-run']);
    expect(r.code).toBe(0);
    for (const id of ['1011001', '1011002', '1011003']) expect(r.stdout).toMatch(new RegExp(`^${id}\\s+\\d+\\s+high\\s+2025-06-1\\d\\s+would stage`, 'm'));
    expect(r.stdout).not.toMatch(/^1011004|^100000/m);
    expect(r.stdout).toMatch(/dry run: nothing changed/);
    expect(writes(lab, before)).toEqual([]);
    expect(lab.context()).toEqual(contextBefore);
  });

  test('stages exactly the new rules and the rule they depend on (found across pages, 429 retried): all detect-only first, then assigned, recorded', async () => {
    const before = lab.fake.requests.length;
    lab.fake.rateLimitNext(2);
    const r = await lab.dskit(['rules', 'stage', '--released-since', '2025-06-01']);
    expect(r.stderr).toMatch(/^dskit: (GET|POST) \/\S+: HTTP 429 \(rate limited\); retrying in [\d.]+ s \(attempt 2; the manager counts calls over 60 s, dskit gives up in \d+ s\)$/m);
    expect(r.stderr).toMatch(/\(attempt 3; /m);
    expect(r.code).toBe(0);

    const newOnes = ['1011001', '1011002', '1011003'].map((i) => seeded.rules[i]);
    expect(assigned()).toEqual(expect.arrayContaining([...newOnes, seeded.rules['1000900']]));
    expect(assigned()).not.toContain(seeded.rules['1011004']); // inherited from the parent: left alone
    // The dependency the manager assigns along with 1011001 is detect-only too: nothing staged blocks.
    for (const id of ['1011001', '1011002', '1011003', '1000900']) expect(override(id)).toEqual({ detectOnly: true });

    // the release-date search is a date criterion on originalIssue, paged by id (server cap 2)
    const searches = lab.fake.requests.slice(before).filter((q) => q.path === '/intrusionpreventionrules/search');
    expect(searches[searches.length - 1].body.searchCriteria[0]).toEqual({
      fieldName: 'originalIssue',
      firstDateValue: Date.parse('2025-06-01T00:00:00Z'),
      firstDateInclusive: true,
    });
    expect(new Set(searches.map((s) => JSON.stringify(s.body.searchCriteria[1]))).size).toBeGreaterThan(2);

    // every override is set before the one assignment call
    const w = writes(lab, before);
    const assignAt = w.findIndex((q) => q.path.endsWith('/intrusionprevention/assignments'));
    expect(w.filter((q) => q.path.includes('/intrusionprevention/rules/')).length).toBe(4);
    expect(w.slice(assignAt + 1).filter((q) => q.path.includes('/intrusionprevention/rules/'))).toEqual([]);

    const ctx = lab.context();
    expect(ctx.ipsRollout['ds-eval'].map((s: any) => [s.identifier, s.ruleId, s.policyId, s.dependencyOf])).toEqual([
      ['1000900', seeded.rules['1000900'], sandboxPolicy, [seeded.rules['1011001']]],
      ...['1011001', '1011002', '1011003'].map((i) => [i, seeded.rules[i], sandboxPolicy, undefined]),
    ]);
    // The dependency is recorded first, so teardown (newest first) unassigns the rule needing it before it.
    const kinds = ctx.changes['ds-eval'].map((c: any) => `${c.kind}:${c.id}`);
    expect(kinds).toEqual([expect.stringMatching(/^policy-created:/), `ips-rule-staged:${seeded.rules['1000900']}`, ...newOnes.map((id) => `ips-rule-staged:${id}`)]);
    expect(r.stdout).toMatch(/staged 4 rule\(s\) on "ds-eval-policy"/);
    expect(r.stdout).toMatch(new RegExp(`rule id\\(s\\) ${seeded.rules['1000900']}: the staged rules depend on them, so the manager assigns them too; they are detect-only`));
  });

  test('a second run stages nothing and writes nothing', async () => {
    const before = lab.fake.requests.length;
    const r = await lab.dskit(['--json', 'rules', 'stage', '--released-since', '2025-06-01']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout).data;
    expect(out.staged).toEqual([]);
    expect(out.alreadyAssigned.map((a: any) => a.identifier)).toEqual(['1011001', '1011002', '1011003', '1011004']);
    expect(writes(lab, before)).toEqual([]);
    expect(lab.context().ipsRollout['ds-eval']).toHaveLength(4);
  });

  test('--rule-ids naming a rule the manager lacks: exit 1 naming it, nothing staged', async () => {
    const before = lab.fake.requests.length;
    const r = await lab.dskit(['rules', 'stage', '--rule-ids', '1000001,1099999']);
    expect(r.stderr).toMatch(/--rule-ids: no IPS rule with identifier 1099999 in the manager/);
    expect(r.code).toBe(1);
    expect(writes(lab, before)).toEqual([]);
  });

  test('promote right after staging: every rule is still in its window; nothing promoted, exit 0', async () => {
    const file = path.join(lab.dir, 'now.log');
    fs.writeFileSync(file, `${firewallLine(Date.now())}\n`);
    const before = lab.fake.requests.length;
    const r = await lab.dskit(['rules', 'promote', '--from', file]);
    expect(r.code).toBe(0);
    for (const id of ['1011001', '1011002', '1011003']) expect(r.stdout).toMatch(new RegExp(`^${id}\\s.*\\swaiting\\s+staged .*\\(2[34] h left\\)`, 'm'));
    expect(writes(lab, before)).toEqual([]);
  });

  describe('a day and more later', () => {
    let events: string;
    beforeAll(() => {
      backdateStaging(lab, 48);
      const now = Date.now();
      events = path.join(lab.dir, 'exported');
      fs.mkdirSync(events);
      // 1011001 fired twice since staging; 1011002 fired only before it was staged; coverage reaches now
      fs.writeFileSync(path.join(events, 'a.log'), [ipsLine('1011001', now - 30 * 3_600_000), ipsLine('1011002', now - 60 * 3_600_000), firewallLine(now - 60_000)].join('\n') + '\n');
      fs.writeFileSync(
        path.join(events, 'b.log.gz'),
        zlib.gzipSync(JSON.stringify({ timestamp: new Date(now - 3_600_000).toISOString(), textPayload: ipsLine('1011001', now - 3_600_000, 'ds-eval-gcp-web-1') }) + '\n'),
      );
    });

    test('events that end before the quiet window ends prove nothing: kept, exit 1', async () => {
      const stale = path.join(lab.dir, 'stale.log');
      fs.writeFileSync(stale, `${firewallLine(Date.now() - 40 * 3_600_000)}\n`);
      const before = lab.fake.requests.length;
      const r = await lab.dskit(['rules', 'promote', '--from', stale]);
      expect(r.stdout).toMatch(/^1011003\s.*kept \(no data\)\s+the files end .* before its quiet window ends/m);
      expect(r.code).toBe(1);
      expect(writes(lab, before)).toEqual([]);
    });

    test('--dry-run says what it would do and changes nothing', async () => {
      const before = lab.fake.requests.length;
      const contextBefore = lab.context();
      const r = await lab.dskit(['rules', 'promote', '--from', events, '--dry-run']);
      expect(r.stdout).toMatch(/^1011002\s.*would promote/m);
      expect(r.stdout).toMatch(/^1011001\s.*would keep \(fired\)/m);
      expect(r.code).toBe(1);
      expect(writes(lab, before)).toEqual([]);
      expect(lab.context()).toEqual(contextBefore);
    });

    test('the rule that fired stays detect-only with its hit count; the quiet ones are promoted; exit 1', async () => {
      const r = await lab.dskit(['rules', 'promote', '--from', events]);
      expect(r.stdout).toMatch(/^1011001\s+\d+\s+\d+ "ds-eval-policy"\s+2\s+kept \(fired\)\s+fired 2 time\(s\) since staging/m);
      expect(r.stdout).toMatch(/^1011002\s+\d+\s+\d+ "ds-eval-policy"\s+0\s+promoted/m);
      expect(r.stdout).toMatch(/^1011003\s+\d+\s+\d+ "ds-eval-policy"\s+0\s+promoted/m);
      expect(r.stdout).toMatch(/^1000900\s+\d+\s+\d+ "ds-eval-policy"\s+0\s+promoted/m);
      expect(r.stdout).toMatch(/promoted 3; kept 1 that fired/);
      // the sandbox policy is in detect mode: promoting a rule does not make it block there
      expect(r.stdout).toMatch(new RegExp(`note: policy ${sandboxPolicy} "ds-eval-policy" runs intrusion prevention in "detect" mode`));
      expect(r.code).toBe(1);
      // Promotion removes dskit's override (the rule runs as it would have without dskit), never pins detectOnly: false.
      expect(override('1011001')).toEqual({ detectOnly: true });
      expect(override('1011002')).toBeUndefined();
      expect(override('1011003')).toBeUndefined();
      expect(override('1000900')).toBeUndefined();
      const rollout = lab.context().ipsRollout['ds-eval'];
      expect(rollout.filter((s: any) => s.promotedAt).map((s: any) => s.identifier)).toEqual(['1000900', '1011002', '1011003']);
    });

    test('--json lists the kept rule with its hosts; a second promote only re-judges the kept one', async () => {
      const r = await lab.dskit(['--json', 'rules', 'promote', '--from', events]);
      const out = JSON.parse(r.stdout).data;
      expect(out.decisions).toEqual([expect.objectContaining({ identifier: '1011001', verdict: 'noisy', hits: 2, hosts: ['ds-eval-aws-web-1', 'ds-eval-gcp-web-1'] })]);
      expect(out.promotedEarlier).toBe(3);
      expect(r.code).toBe(1);
    });

    test('teardown --manager-only takes the rules off again and forgets the rollout', async () => {
      const before = lab.fake.requests.length;
      const r = await lab.dskit(['teardown', '--manager-only', '--yes']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/unassign IPS rule 1011001 \(id \d+\) from policy id \d+ and drop its override, staged by dskit rules stage: done/);
      const w = writes(lab, before).map((q) => `${q.method} ${q.path}`);
      const policyDelete = w.indexOf(`DELETE /policies/${sandboxPolicy}`);
      expect(policyDelete).toBeGreaterThan(0);
      for (const id of ['1011001', '1011002', '1011003']) {
        expect(w.indexOf(`DELETE /policies/${sandboxPolicy}/intrusionprevention/rules/${seeded.rules[id]}`)).toBeLessThan(policyDelete);
        expect(w).toContain(`DELETE /policies/${sandboxPolicy}/intrusionprevention/assignments/${seeded.rules[id]}`);
      }
      expect(w).toContain(`DELETE /policies/${sandboxPolicy}/intrusionprevention/assignments/${seeded.rules['1000900']}`);
      const ctx = lab.context();
      expect(ctx.changes?.['ds-eval']).toBeUndefined();
      expect(ctx.ipsRollout?.['ds-eval']).toBeUndefined();
    });
  });
});

describe('dskit rules stage --policy-id on a shared policy, then teardown', () => {
  let lab: Lab;
  let shared: number;
  let rules: Record<string, number>;
  beforeAll(async () => {
    lab = await startLab();
    ({ rules } = seedRules(lab));
    shared = lab.fake.addPolicy({ name: 'Linux Server', intrusionPrevention: { state: 'prevent', ruleIDs: [] } });
    lab.fake.policies.get(shared)!.intrusionPrevention.ruleIDs = [rules['1000001']];
    lab.writeConfig(sandboxRaw(shared));
  });
  afterAll(() => lab.close());

  test('stages by identifier with a warning, and teardown restores the policy exactly', async () => {
    const r = await lab.dskit(['rules', 'stage', '--rule-ids', '1011002, 1011003,1000001', '--policy-id', String(shared)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/policy "Linux Server" is not the sandbox policy: every computer on it gets the staged rules/);
    expect(lab.fake.policies.get(shared)!.intrusionPrevention.ruleIDs).toEqual([rules['1000001'], rules['1011002'], rules['1011003']].sort((a, b) => a - b));

    const t = await lab.dskit(['teardown', '--manager-only', '--yes']);
    expect(t.code).toBe(0);
    expect(lab.fake.policies.has(shared)).toBe(true);
    expect(lab.fake.policies.get(shared)!.intrusionPrevention.ruleIDs).toEqual([rules['1000001']]);
    expect([...lab.fake.ruleOverrides.keys()]).toEqual([]);
  });

  test('an unknown --policy-id: exit 1 naming it', async () => {
    const r = await lab.dskit(['rules', 'stage', '--rule-ids', '1011002', '--policy-id', '4242']);
    expect(r.stderr).toMatch(/--policy-id: no policy with id 4242 in the manager/);
    expect(r.code).toBe(1);
  });
});

describe('rules stage on a Linux-only sandbox: platforms, custom rules, rules with overrides already', () => {
  let lab: Lab;
  let policyId: number;
  const ids: Record<string, number> = {};
  const rule = (identifier: string, name: string, extra: Record<string, unknown> = {}) =>
    (ids[identifier] = lab.fake.addIntrusionPreventionRule({ identifier, name: `${identifier} - ${name}`, originalIssue: NEW, severity: 'high', type: 'vulnerability', ...extra }));

  beforeAll(async () => {
    lab = await startLab();
    const base = lab.fake.addPolicy({ name: 'Base Policy', intrusionPrevention: { state: 'prevent', ruleIDs: [] } });
    const smb = lab.fake.addApplicationType({ name: 'DCERPC Services', description: 'Windows RPC services' });
    const web = lab.fake.addApplicationType({ name: 'Web Server Common' });
    rule('1012001', 'Microsoft Windows SMB Remote Code Execution Vulnerability (CVE-2025-0001)');
    rule('1012002', 'Linux Kernel Netfilter Use-After-Free (CVE-2025-0002)');
    rule('1012003', 'Apache HTTP Server Path Traversal (CVE-2025-0003)', { applicationTypeID: web });
    rule('1012004', 'Remote Procedure Call Buffer Overflow (CVE-2025-0004)', { applicationTypeID: smb });
    rule('1012005', 'Block our legacy admin URL', { type: 'custom' });
    lab.writeConfig(
      sandboxRaw(base, (raw) => {
        raw.aws.vms = [{ name: 'web', os: 'amazon-linux-2023', count: 1 }];
      }),
    );
    expect((await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy'])).code).toBe(0);
    policyId = lab.context().policyIds['ds-eval-policy'];
  });
  afterAll(() => lab.close());

  test('a release-date selection leaves out rules named for Windows (by rule or application type name), and says so', async () => {
    const r = await lab.dskit(['rules', 'stage', '--released-since', '2025-06-01', '--dry-run']);
    expect(r.code).toBe(0);
    for (const id of ['1012002', '1012003', '1012005']) expect(r.stdout).toMatch(new RegExp(`^${id}\\s.*would stage`, 'm'));
    expect(r.stdout).not.toMatch(/^1012001|^1012004/m);
    expect(r.stdout).toMatch(/left out 2 rule\(s\) for windows, which the sandbox has no VM of \(1012001, 1012004\); --all-platforms stages them too/);
    const all = await lab.dskit(['rules', 'stage', '--released-since', '2025-06-01', '--dry-run', '--all-platforms']);
    for (const id of ['1012001', '1012004']) expect(all.stdout).toMatch(new RegExp(`^${id}\\s.*would stage`, 'm'));
  });

  test('a rule with the policy\'s own overrides already is refused before anything changes (promote would drop them)', async () => {
    lab.fake.ruleOverrides.set(`${policyId}/${ids['1012003']}`, { alertEnabled: true });
    const before = lab.fake.requests.length;
    const r = await lab.dskit(['rules', 'stage', '--released-since', '2025-06-01']);
    expect(r.stderr).toMatch(/already has its own settings for rule\(s\) 1012003 \(id \d+\) overrides alertEnabled/);
    expect(r.code).toBe(1);
    expect(writes(lab, before)).toEqual([]);
    lab.fake.ruleOverrides.delete(`${policyId}/${ids['1012003']}`);
  });

  test('a rule the manager assigns without listing it as a dependency is made detect-only at once, said, and undone in order', async () => {
    const helper = rule('1000777', 'Generic Decoder (unlisted)', { originalIssue: OLD });
    const needy = rule('1013001', 'Apache Tomcat Request Smuggling', { originalIssue: NEW + 10 * DAY });
    lab.fake.unlistedDependencies.set(needy, [helper]);
    const r = await lab.dskit(['rules', 'stage', '--rule-ids', '1013001', '--policy-id', String(policyId)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`warning: the manager also assigned rule id\\(s\\) ${helper} no rule listed as a dependency; dskit set them detect-only right after`));
    expect(lab.fake.ruleOverrides.get(`${policyId}/${helper}`)).toEqual({ detectOnly: true });
    const kinds = lab.context().changes['ds-eval'].map((c: any) => c.id);
    expect(kinds.indexOf(helper)).toBeLessThan(kinds.indexOf(needy));
    lab.fake.unlistedDependencies.clear();
  });

  test('a custom rule is staged with a note, and promote never promotes it for lack of hits', async () => {
    const r = await lab.dskit(['rules', 'stage', '--released-since', '2025-06-01']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1012005\s.*staged \(detect-only\), custom/m);
    expect(r.stdout).toMatch(/note: 1 custom rule\(s\) \(1012005\): their events carry signature id 10/);
    backdateStaging(lab, 48);
    const file = path.join(lab.dir, 'quiet.log');
    fs.writeFileSync(file, `${firewallLine(Date.now() - 60_000)}\n`);
    const p = await lab.dskit(['rules', 'promote', '--from', file]);
    expect(p.stdout).toMatch(/^1012005\s.*kept \(custom\)\s+a custom rule: its events carry signature id 10/m);
    expect(p.stdout).toMatch(/^1012002\s.*promoted/m);
    expect(p.stdout).toMatch(/1 custom rule\(s\) kept/);
    expect(p.code).toBe(1);
    expect(lab.fake.ruleOverrides.get(`${policyId}/${ids['1012005']}`)).toEqual({ detectOnly: true });
    expect(lab.fake.ruleOverrides.get(`${policyId}/${ids['1012002']}`)).toBeUndefined();
  });
});
