/**
 * The trigger catalogue against the scripts that carry it out: the same URLs, probe and EICAR
 * bytes in TypeScript, bash and PowerShell; the expected signature ids as Trend's syslog formats
 * define them; module keys parsed with one clear error; and what a computer must have turned on.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { moduleOf } from '../../lib/events';
import { FIREWALL_PROBE, IPS_TEST_URL, MODULE_KEYS, parseModules, TRIGGERS, WRS_TEST_URL } from '../../lib/exercise/catalogue';
import { deniesProbe, FORWARDING_SETTINGS, readinessOf, ruleKey, type ComputerFacts, type RuleDirectory } from '../../lib/exercise/readiness';
import { SYSLOG_CONFIG_SETTINGS } from '../../lib/manager';

const AGENTS = path.join(__dirname, '..', '..', 'agents');
const bash = fs.readFileSync(path.join(AGENTS, 'linux', 'exercise-triggers.sh'), 'utf8');
const ps1 = fs.readFileSync(path.join(AGENTS, 'windows', 'exercise-triggers.ps1'), 'utf8');
const bashValue = (name: string) => new RegExp(`^${name}='?([^'\\n]*)'?$`, 'm').exec(bash)?.[1];
const psValue = (name: string) => new RegExp(`^\\$${name} = '?([^'\\n]*)'?$`, 'm').exec(ps1)?.[1];

describe('the scripts carry out the catalogue', () => {
  test('the same test URLs and firewall probe in bash and PowerShell', () => {
    expect([bashValue('DSKIT_EXERCISE_WRS_URL'), psValue('DskitExerciseWrsUrl')]).toEqual([WRS_TEST_URL, WRS_TEST_URL]);
    expect([bashValue('DSKIT_EXERCISE_IPS_URL'), psValue('DskitExerciseIpsUrl')]).toEqual([IPS_TEST_URL, IPS_TEST_URL]);
    expect([bashValue('DSKIT_EXERCISE_FW_ADDRESS'), psValue('DskitExerciseFwAddress')]).toEqual([FIREWALL_PROBE.address, FIREWALL_PROBE.address]);
    expect([bashValue('DSKIT_EXERCISE_FW_PORT'), psValue('DskitExerciseFwPort')]).toEqual([String(FIREWALL_PROBE.port), String(FIREWALL_PROBE.port)]);
  });

  test('the EICAR test file is stored encoded, and decodes to the 68 standard bytes (MD5 as in Trend\'s sample event)', () => {
    const b64 = bashValue('DSKIT_EXERCISE_EICAR_B64')!;
    expect(psValue('DskitExerciseEicarB64')).toBe(b64);
    const bytes = Buffer.from(b64, 'base64');
    expect(bytes.length).toBe(68);
    expect(createHash('md5').update(bytes).digest('hex')).toBe('44d88612fea8a8f36de82e1278abb02f');
    // Neither script, nor any file under agents/, holds the test string itself.
    const marker = bytes.subarray(0, 20).toString('latin1');
    for (const text of [bash, ps1]) expect(text.includes(marker)).toBe(false);
  });

  test('each module key has a trigger function in both scripts', () => {
    for (const key of MODULE_KEYS) {
      expect(bash).toMatch(new RegExp(`^dskit_exercise_${key}\\(\\) \\{`, 'm'));
      expect(ps1).toMatch(new RegExp(`^function Invoke-DskitExercise${key[0].toUpperCase()}${key.slice(1)}\\(`, 'm'));
    }
  });
});

describe('the expected events', () => {
  test('classify into their own module by lib/events\' moduleOf (IPS = rule id, IM = rule id + 1,000,000, LI = + 2,000,000)', () => {
    for (const t of Object.values(TRIGGERS)) {
      for (const platform of ['linux', 'windows'] as const) {
        for (const id of t.expects[platform].signatureIds ?? []) expect(moduleOf(id, 'Deep Security Agent')).toBe(t.module);
      }
    }
    expect(TRIGGERS.ips.expects.linux.signatureIds).toEqual([1005924]);
    expect(TRIGGERS.im.expects.linux.signatureIds).toEqual([2003513]);
    expect(TRIGGERS.im.expects.windows.signatureIds).toEqual([2002773]);
  });

  test('each module forwards through a setting the manager has', () => {
    for (const s of Object.values(FORWARDING_SETTINGS)) expect(SYSLOG_CONFIG_SETTINGS).toContain(s);
  });
});

describe('--modules', () => {
  test('takes a comma list in any order and case, gives catalogue order', () => {
    expect(parseModules('fw, AM,ips')).toEqual(['am', 'ips', 'fw']);
    expect(parseModules(undefined)).toEqual([...MODULE_KEYS]);
  });

  test('refuses an unknown key or an empty list in one line naming what is allowed', () => {
    expect(() => parseModules('am,av')).toThrow('--modules: got "am,av"; allowed: a comma-separated list of am, wrs, ips, im, li, fw');
    expect(() => parseModules(',')).toThrow(/allowed/);
  });
});

describe('readiness: what the computer must have on', () => {
  const rules: RuleDirectory = {
    ids: new Map([
      [ruleKey('ips', '1005924'), [501]],
      [ruleKey('im', '1003513'), [601]],
      [ruleKey('li', '1002792'), [701]],
      [ruleKey('li', '1002831'), [702]],
    ]),
    probeDenials: new Set([801]),
  };
  const forwarding = Object.fromEntries(Object.values(FORWARDING_SETTINGS).map((s) => [s, '3']));
  const ready: ComputerFacts = {
    id: 101,
    displayName: 'ds-eval-aws-web-1',
    policyId: 42,
    agentStatus: 'active',
    modules: {
      am: { state: 'on', realTimeScanConfigurationID: 1, status: 'active' },
      wrs: { state: 'on' },
      ips: { state: 'detect', ruleIDs: [500, 501] },
      im: { state: 'real-time', ruleIDs: [601] },
      li: { state: 'on', ruleIDs: [701, 702] },
      fw: { state: 'on', ruleIDs: [801] },
    },
    settings: { ...forwarding, logInspectionSettingSeverityClippingAgentEventSendSyslogLevelMin: 'Low (3)' },
  };
  const with_ = (patch: (c: any) => void): ComputerFacts => {
    const c = structuredClone(ready) as any;
    patch(c);
    return c;
  };

  test('a computer with everything on needs nothing', () => {
    for (const key of MODULE_KEYS) expect(readinessOf(key, 'linux', ready, rules, 3)).toEqual({ off: false, needs: [], notes: [] });
  });

  test('a module that is off is off, and says where to turn it on', () => {
    const r = readinessOf('wrs', 'linux', with_((c) => (c.modules.wrs.state = 'off')), rules, 3);
    expect(r.off).toBe(true);
    expect(r.needs).toEqual(["turn Web Reputation On in policy 42 (or ds-eval-aws-web-1's own settings) (it is off)"]);
  });

  test('a Trend rule not assigned, and one the manager does not have', () => {
    expect(readinessOf('ips', 'linux', with_((c) => (c.modules.ips.ruleIDs = [500])), rules, 3).needs).toEqual([
      'assign Intrusion Prevention rule 1005924 "Restrict Download of EICAR Test File Over HTTP" in policy 42 (or ds-eval-aws-web-1\'s own settings)',
    ]);
    expect(readinessOf('im', 'windows', ready, rules, 3).needs[0]).toMatch(/^rule 1002773 "Microsoft Windows - 'Hosts' file modified" is not in this manager/);
  });

  test('anti-malware without a real-time scan, and integrity monitoring that is not real-time', () => {
    expect(readinessOf('am', 'linux', with_((c) => delete c.modules.am.realTimeScanConfigurationID), rules, 3).needs).toEqual([
      "give Anti-Malware a real-time scan configuration in policy 42 (or ds-eval-aws-web-1's own settings) (Anti-Malware > General > Real-Time Scan)",
    ]);
    const im = readinessOf('im', 'linux', with_((c) => (c.modules.im.state = 'on')), rules, 3);
    expect(im.needs).toEqual([]);
    expect(im.notes[0]).toMatch(/not real-time here: the change shows at the next integrity scan/);
  });

  test('no firewall rule that drops the probe, and event forwarding that is unset', () => {
    expect(readinessOf('fw', 'linux', with_((c) => (c.modules.fw.ruleIDs = [802])), rules, 3).needs[0]).toMatch(/^assign a Firewall rule in policy 42 .* that denies the probe: action Deny, direction Outgoing, protocol TCP, destination 169\.254\.169\.254 \(or any\), destination port 9/);
    expect(readinessOf('li', 'linux', with_((c) => delete c.settings.logInspectionSettingSyslogConfigId), rules, 3).needs).toEqual([
      "forward Log Inspection events to syslog in policy 42 (or ds-eval-aws-web-1's own settings) (setting logInspectionSettingSyslogConfigId is unset; dskit policy ensure sets it from events.syslogConfigId)",
    ]);
  });

  test('log inspection whose syslog threshold is above Low (3)', () => {
    const r = readinessOf('li', 'linux', with_((c) => (c.settings.logInspectionSettingSeverityClippingAgentEventSendSyslogLevelMin = 'Medium (6)')), rules, 3);
    expect(r.needs).toEqual(["lower Log Inspection > Advanced \"send events to syslog\" severity to Low (3) in policy 42 (or ds-eval-aws-web-1's own settings) (it is Medium (6))"]);
  });

  test('no computer: nothing to say here (the missing computer is the reason elsewhere)', () => {
    expect(readinessOf('am', 'linux', undefined, rules, 3)).toEqual({ off: false, needs: [], notes: [] });
  });
});

describe('which firewall rules drop the probe', () => {
  const deny = { action: 'deny', direction: 'outgoing', protocol: 'tcp', destinationIPType: 'any', destinationPortType: 'multiple', destinationPortMultiple: ['9'] };
  test.each([
    ['the rule the docs describe', deny, true],
    ['any port, any protocol, the probe address', { ...deny, protocol: 'any', destinationPortType: 'any', destinationIPType: 'single', destinationIPValue: '169.254.169.254' }, true],
    ['a port range and a masked network', { ...deny, destinationPortMultiple: ['1-100'], destinationIPType: 'masked-ip', destinationIPValue: '169.254.0.0', destinationIPMask: '255.255.0.0' }, true],
    ['a CIDR in the masked value', { ...deny, destinationIPType: 'masked-ip', destinationIPValue: '169.254.169.0/24' }, true],
    ['log-only', { ...deny, action: 'log-only' }, false],
    ['incoming', { ...deny, direction: 'incoming' }, false],
    ['UDP', { ...deny, protocol: 'udp' }, false],
    ['another port', { ...deny, destinationPortMultiple: ['10-20'] }, false],
    ['another address', { ...deny, destinationIPType: 'single', destinationIPValue: '10.0.0.1' }, false],
    ['inverted ports', { ...deny, destinationPortNot: true }, false],
    ['logging disabled', { ...deny, logDisabled: true }, false],
  ])('%s', (_label, rule, expected) => {
    expect(deniesProbe(rule)).toBe(expected);
  });
});
