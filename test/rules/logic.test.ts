/** The rollout's pure parts: flag parsing, what to stage, hit counting, the promote verdicts, the context records. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  EventFileError,
  HitCounter,
  RolloutInputError,
  countHitsInFiles,
  decide,
  forgetStagedRule,
  markPromoted,
  needsAttention,
  parseReleasedSince,
  parseRuleIdentifiers,
  planStaging,
  recordStagedRule,
  rulePlatform,
  stagedRulesOf,
  type StagedRule,
} from '../../lib/rules';

const HOUR = 3_600_000;
const NOW = new Date('2025-07-01T12:00:00Z');
const AGENT = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690';

describe('flags', () => {
  test('--released-since takes a day, an ISO time or days back, and refuses the rest naming the value', () => {
    expect(parseReleasedSince('2025-06-01', NOW)).toBe(Date.parse('2025-06-01T00:00:00Z'));
    expect(parseReleasedSince('2025-06-01T09:30:00+02:00', NOW)).toBe(Date.parse('2025-06-01T07:30:00Z'));
    expect(parseReleasedSince('30d', NOW)).toBe(NOW.getTime() - 30 * 24 * HOUR);
    expect(() => parseReleasedSince('June', NOW)).toThrow(/--released-since: got "June"; expected a date/);
    expect(() => parseReleasedSince('2025-13-01', NOW)).toThrow(RolloutInputError);
    expect(() => parseReleasedSince('2025-08-01', NOW)).toThrow(/in the future/);
  });

  test('--rule-ids takes 7-digit IPS identifiers, de-duplicated, and names every bad one', () => {
    expect(parseRuleIdentifiers(' 1008610,1011935 ,1008610,')).toEqual(['1008610', '1011935']);
    expect(() => parseRuleIdentifiers('1008610,2000001,abc')).toThrow(/got "2000001", "abc"; allowed: 7-digit IPS rule identifiers from 1000000 to 1999999/);
    expect(() => parseRuleIdentifiers(',')).toThrow(/expected identifiers separated by commas/);
  });
});

test('planStaging: candidates not yet on the policy, by identifier; duplicates once', () => {
  const r = (ID: number, identifier: string) => ({ ID, identifier });
  const plan = planStaging([r(5, '1011003'), r(3, '1011001'), r(4, '1011002'), r(3, '1011001')], [4, 99]);
  expect(plan.toStage.map((x) => x.identifier)).toEqual(['1011001', '1011003']);
  expect(plan.alreadyAssigned.map((x) => x.ID)).toEqual([4]);
});

describe('HitCounter', () => {
  const staged = NOW.getTime() - 48 * HOUR;
  const counter = () => new HitCounter([{ key: 'a', identifier: '1011001', sinceMs: staged }, { key: 'b', identifier: '1011002', sinceMs: staged }], NOW);
  const cef = (sig: string, at: number | null, product = 'Deep Security Agent', host = 'web-1') =>
    `<134>${AGENT.replace('Deep Security Agent', product)}|${sig}|name|8|cn1=7 cn1Label=Host ID dvchost=${host}${at !== null ? ` rt=${at}` : ''} act=IDS:Reset`.replace('<134>', '');

  test('counts IPS events of the identifier since staging; earlier ones, other rules and non-events apart', () => {
    const c = counter();
    c.add(cef('1011001', staged + HOUR));
    c.add(cef('1011001', staged + 2 * HOUR, 'Deep Security Agent', 'web-2'));
    c.add(cef('1011001', staged - HOUR)); // before staging
    c.add(cef('1011003', staged + HOUR)); // not staged
    c.add(cef('1011002', staged + HOUR, 'Deep Security Manager')); // the manager's own event: a system event
    c.add('just a syslog line');
    const s = c.summary();
    expect(s.byKey.get('a')).toMatchObject({ hits: 2, before: 1, untimed: 0, lastHitMs: staged + 2 * HOUR });
    expect([...s.byKey.get('a')!.hosts]).toEqual(['web-1', 'web-2']);
    expect(s.byKey.get('b')).toMatchObject({ hits: 0, before: 0 });
    expect(s.lines).toBe(6);
    expect(s.events).toBe(5);
    expect(s.newestEventMs).toBe(staged + 2 * HOUR);
  });

  test('an event without a readable time counts against the rule (it may be after staging)', () => {
    const c = counter();
    c.add(`${AGENT}|1011002|name|8|cn1=7 act=IDS:Reset`);
    expect(c.summary().byKey.get('b')).toMatchObject({ hits: 1, untimed: 1 });
    expect(c.summary().newestEventMs).toBeNull();
  });

  test('a header with escaped pipes before the signature id still counts', () => {
    const c = counter();
    c.add(`CEF:0|Trend Micro|Deep Security \\| Agent|20.0|1011001|a \\| b|8|rt=${staged + HOUR} act=IDS:Reset`);
    expect(c.summary().byKey.get('a')!.hits).toBe(1);
  });

  test('LEEF and cloud JSON exports are read too', () => {
    const c = counter();
    c.add(`LEEF:2.0|Trend Micro|Deep Security Agent|20.0|1011001|^|cat=Intrusion Prevention^act=IDS:Reset^dvchost=db-1`);
    c.add(JSON.stringify({ timestamp: new Date(staged + 5 * HOUR).toISOString(), jsonPayload: { message: cef('1011002', null) } }));
    const s = c.summary();
    expect(s.byKey.get('a')!.hits).toBe(1);
    expect(s.byKey.get('b')).toMatchObject({ hits: 1, untimed: 0, lastHitMs: staged + 5 * HOUR });
  });

  test('files: plain and gzip by content; a broken gzip is an error naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-rules-'));
    try {
      const plain = path.join(dir, 'a.log');
      const gz = path.join(dir, 'b.log'); // gzip without a .gz name
      fs.writeFileSync(plain, `${cef('1011001', staged + HOUR)}\r\n\n`);
      fs.writeFileSync(gz, zlib.gzipSync(`${cef('1011001', staged + 3 * HOUR)}\n${cef('1011002', staged + 3 * HOUR)}\n`));
      const s = await countHitsInFiles([plain, gz], counter());
      expect(s.byKey.get('a')!.hits).toBe(2);
      expect(s.byKey.get('b')!.hits).toBe(1);
      expect(s.lines).toBe(3);
      const broken = path.join(dir, 'c.gz');
      fs.writeFileSync(broken, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]));
      await expect(countHitsInFiles([broken], counter())).rejects.toThrow(EventFileError);
      await expect(countHitsInFiles([broken], counter())).rejects.toThrow(/c\.gz: not a readable gzip file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decide', () => {
  const rule = (hoursAgo: number): StagedRule => ({ ruleId: 1, identifier: '1011001', policyId: 9, stagedAt: new Date(NOW.getTime() - hoursAgo * HOUR).toISOString() });
  const hits = (n: number) => ({ hits: n, untimed: 0, before: 0, lastHitMs: n ? NOW.getTime() - HOUR : null, hosts: new Set<string>() });
  const opts = { quietHours: 24, now: NOW, newestEventMs: NOW.getTime() - HOUR };

  test('quiet for the window with the export reaching past it: promote', () => {
    expect(decide({ rule: rule(30), hits: hits(0), assigned: true }, opts).verdict).toBe('quiet');
    expect(decide({ rule: rule(30), hits: undefined, assigned: true }, opts).verdict).toBe('quiet');
  });

  test('a hit keeps it, even inside its window', () => {
    const d = decide({ rule: rule(2), hits: hits(3), assigned: true }, opts);
    expect(d).toMatchObject({ verdict: 'noisy', hits: 3 });
    expect(d.reason).toMatch(/fired 3 time\(s\) since staging, last 2025-07-01T11:00Z/);
  });

  test('inside the window: waiting, with the hours left', () => {
    expect(decide({ rule: rule(20), hits: hits(0), assigned: true }, opts).reason).toMatch(/\(4 h left\)/);
  });

  test('an export that ends inside the window, or has no times, is not evidence', () => {
    expect(decide({ rule: rule(30), hits: hits(0), assigned: true }, { ...opts, newestEventMs: NOW.getTime() - 10 * HOUR }).verdict).toBe('unobserved');
    expect(decide({ rule: rule(30), hits: hits(0), assigned: true }, { ...opts, newestEventMs: null }).reason).toMatch(/no timed events/);
  });

  test('a rule someone unassigned is skipped; --quiet-hours 0 needs only events after staging', () => {
    expect(decide({ rule: rule(30), hits: hits(0), assigned: false }, opts).verdict).toBe('unassigned');
    expect(decide({ rule: rule(0.5), hits: hits(0), assigned: true }, { ...opts, quietHours: 0, newestEventMs: NOW.getTime() }).verdict).toBe('quiet');
  });

  test('attention is needed for fired or unobserved rules, not for waiting or skipped ones', () => {
    const d = (h: number, a = true) => decide({ rule: rule(h), hits: hits(0), assigned: a }, opts);
    expect(needsAttention([d(20), d(30, false), d(30)])).toBe(false);
    expect(needsAttention([d(30), decide({ rule: rule(30), hits: hits(1), assigned: true }, opts)])).toBe(true);
  });
});

test('context records: staged once per policy, promotion marked, forgotten on teardown', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-rules-ctx-'));
  try {
    fs.writeFileSync(path.join(dir, 'dskit.context.json'), JSON.stringify({ policyIds: { keep: 3 } }));
    const r = { ruleId: 5, identifier: '1011001', policyId: 9, stagedAt: NOW.toISOString() };
    recordStagedRule('lab', r, dir);
    recordStagedRule('lab', { ...r, stagedAt: 'later' }, dir);
    recordStagedRule('lab', { ...r, policyId: 10 }, dir);
    expect(stagedRulesOf('lab', dir).map((s) => [s.policyId, s.stagedAt])).toEqual([[9, NOW.toISOString()], [10, NOW.toISOString()]]);
    markPromoted('lab', { ruleId: 5, policyId: 10 }, 'then', dir);
    expect(stagedRulesOf('lab', dir).map((s) => s.promotedAt)).toEqual([undefined, 'then']);
    forgetStagedRule('lab', { ruleId: 5, policyId: 9 }, dir);
    forgetStagedRule('lab', { ruleId: 5, policyId: 10 }, dir);
    const ctx = JSON.parse(fs.readFileSync(path.join(dir, 'dskit.context.json'), 'utf8'));
    expect(ctx).toEqual({ policyIds: { keep: 3 }, ipsRollout: {} });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('which platform a rule is for (names: the v1 API has no platform field)', () => {
  test.each([
    ['1011234 - Microsoft Windows SMBv3 Remote Code Execution (CVE-2020-0796)', undefined, 'windows'],
    ['1009876 - Microsoft Internet Information Services (IIS) Denial Of Service', undefined, 'windows'],
    ['1000552 - Generic Remote Procedure Call Overflow', 'DCERPC Services', 'windows'],
    ['1011456 - Linux Kernel Netfilter Use-After-Free (CVE-2024-1086)', undefined, 'linux'],
    ['1010987 - Sudo Heap-Based Buffer Overflow (CVE-2021-3156)', undefined, 'linux'],
    ['1011002 - Apache HTTP Server Path Traversal (CVE-2021-41773)', 'Web Server Common', undefined],
    ['1008000 - Samba Windows Compatibility Issue', undefined, undefined],
    [undefined, undefined, undefined],
  ] as const)('%s (%s) → %s', (name, appType, platform) => expect(rulePlatform(name, appType)).toBe(platform));
});

test('a custom rule is never promoted for lack of hits: its events carry signature id 10', () => {
  const rule: StagedRule = { ruleId: 9, identifier: '', policyId: 1, stagedAt: new Date(NOW.getTime() - 100 * HOUR).toISOString(), type: 'custom' };
  const d = decide({ rule, hits: undefined, assigned: true }, { quietHours: 24, now: NOW, newestEventMs: NOW.getTime() });
  expect(d.verdict).toBe('unprovable');
  expect(needsAttention([d])).toBe(true);
  expect(decide({ rule: { ...rule, type: 'smart' }, hits: undefined, assigned: true }, { quietHours: 24, now: NOW, newestEventMs: NOW.getTime() }).verdict).toBe('quiet');
});
