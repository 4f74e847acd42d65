/**
 * The benign test event of each protection module (issue 17): what the trigger does on the VM,
 * what the manager must have turned on for it, and which event proves it.
 *
 * Sources (Trend Micro's Server & Workload Protection docs, mirrored in
 * eriktechwriter/agentic-docs-poc, folder trend-vision-one-docs/docs/endpoint-security/
 * server-workload-protection/):
 * - anti-malware: configure-anti-malware/.../test-malware-scans.md: "download the anti-malware
 *   test file [EICAR] ... The file should be quarantined"; real-time scan on with a configuration.
 * - web reputation: the agent blocks a URL whose Trend rating is under the security level.
 *   `wrs21.winshipway.com` is Trend's web reputation test host (winshipway.com hosts Trend's test
 *   pages, see network-security/.../virtual-network-sensor-faqs.md); its number is the score, and
 *   a score of 0-50 is "Dangerous" (Trend KA-0002026), blocked at every security level.
 *   configure-web-reputation/test-web-reputation-.md documents a fallback that needs no rating
 *   lookup: add a Blocked URL exception and request it.
 * - intrusion prevention: configure-intrusion-prevention/set-up-intrusion-prevention: assign
 *   1005924 "Restrict Download of EICAR Test File Over HTTP", then
 *   `curl -O http://files.trendmicro.com/products/eicar-file/eicar.com`.
 * - integrity monitoring: configure-integrity-monitoring/set-up-integrity-monitoring: assign
 *   1003513 "Unix - File attributes changes in /etc location" (Windows: 1002773 "Microsoft
 *   Windows - 'Hosts' file modified") and modify the hosts file.
 * - log inspection: configure-log-inspection/set-up-log-inspection: assign 1002792 "Default Rules
 *   Configuration" and 1002831 "Unix - Syslog" (Windows: 1002795 "Microsoft Windows Events"),
 *   then "log in to the server with an account that does not exist".
 * - firewall: a Deny rule logs event 21 (syslog-message-formats.md, "Deny Firewall rule"); the
 *   probe is an outgoing TCP connection to port 9 (discard, RFC 863) of the link-local metadata
 *   address, which nothing answers and which never leaves the cloud host.
 *
 * Event signature ids (syslog-message-formats.md): IPS = the rule's id; integrity monitoring =
 * rule id + 1,000,000; log inspection = rule id + 2,000,000; anti-malware 4,000,000-; web
 * reputation 5,000,000-. The module of an event comes from lib/events (moduleOf), the one
 * classification every report uses.
 */
import type { EventModule } from '../events';

export const MODULE_KEYS = ['am', 'wrs', 'ips', 'im', 'li', 'fw'] as const;
export type ModuleKey = (typeof MODULE_KEYS)[number];

export type Platform = 'linux' | 'windows';

export function isModuleKey(value: string): value is ModuleKey {
  return (MODULE_KEYS as readonly string[]).includes(value);
}

/** Where the firewall probe goes: link-local, answered by nothing on port 9, never routed off the host. */
export const FIREWALL_PROBE = { address: '169.254.169.254', port: 9 } as const;
/** Trend's EICAR download for the intrusion prevention test (set-up-intrusion-prevention.md). */
export const IPS_TEST_URL = 'http://files.trendmicro.com/products/eicar-file/eicar.com';
/** Trend's web reputation test host, rated 21 (Dangerous). */
export const WRS_TEST_URL = 'http://wrs21.winshipway.com/';

/** A Trend-supplied rule the trigger needs assigned, by its identifier (as the console shows it). */
export interface NeededRule {
  readonly identifier: string;
  readonly name: string;
}

/** The event that proves the trigger landed: what lib/events parses out of it. */
export interface ExpectedEvent {
  readonly module: EventModule;
  /** Any of these signature ids; absent: any event of the module. */
  readonly signatureIds?: readonly number[];
  readonly dpt?: number;
  /** The action must match (case-insensitive), e.g. deny. */
  readonly act?: RegExp;
}

export interface Trigger {
  readonly key: ModuleKey;
  readonly module: EventModule;
  /** The module's name in the console. */
  readonly title: string;
  /** What the trigger does on a VM of each platform (docs, `--json`). */
  readonly does: Readonly<Record<Platform, string>>;
  /** Trend-supplied rules the module needs assigned, per platform. */
  readonly rules: Readonly<Record<Platform, readonly NeededRule[]>>;
  readonly expects: Readonly<Record<Platform, ExpectedEvent>>;
  /** The documentation the trigger follows. */
  readonly source: string;
}

const DOCS = 'Trend Micro Server & Workload Protection docs';
const IM_LINUX: NeededRule = { identifier: '1003513', name: 'Unix - File attributes changes in /etc location' };
const IM_WINDOWS: NeededRule = { identifier: '1002773', name: "Microsoft Windows - 'Hosts' file modified" };
const LI_DEFAULTS: NeededRule = { identifier: '1002792', name: 'Default Rules Configuration' };
const LI_LINUX: NeededRule = { identifier: '1002831', name: 'Unix - Syslog' };
const LI_WINDOWS: NeededRule = { identifier: '1002795', name: 'Microsoft Windows Events' };
const IPS_EICAR: NeededRule = { identifier: '1005924', name: 'Restrict Download of EICAR Test File Over HTTP' };

const same = <T>(value: T): Record<Platform, T> => ({ linux: value, windows: value });

export const TRIGGERS: Readonly<Record<ModuleKey, Trigger>> = {
  am: {
    key: 'am',
    module: 'anti-malware',
    title: 'Anti-Malware',
    does: {
      linux: 'writes the EICAR test file to /var/tmp/dskit-exercise/<run>/eicar.com (real-time scan quarantines it)',
      windows: 'writes the EICAR test file to C:\\ProgramData\\dskit\\exercise\\<run>\\eicar.com (real-time scan quarantines it)',
    },
    rules: same([]),
    expects: same({ module: 'anti-malware' }),
    source: `${DOCS}: Test malware scans (EICAR test file, real-time scan)`,
  },
  wrs: {
    key: 'wrs',
    module: 'web-reputation',
    title: 'Web Reputation',
    does: same(`one HTTP GET of ${WRS_TEST_URL} (Trend's test host, rated Dangerous); the agent blocks it`),
    rules: same([]),
    expects: same({ module: 'web-reputation' }),
    source: `${DOCS}: Test Web Reputation; Trend's winshipway.com test hosts and WRS scores (KA-0002026)`,
  },
  ips: {
    key: 'ips',
    module: 'intrusion-prevention',
    title: 'Intrusion Prevention',
    does: same(`one HTTP GET of ${IPS_TEST_URL}, body discarded (never written to disk, so anti-malware does not see it)`),
    rules: same([IPS_EICAR]),
    expects: same({ module: 'intrusion-prevention', signatureIds: [Number(IPS_EICAR.identifier)] }),
    source: `${DOCS}: Set up Intrusion Prevention, Test Intrusion Prevention (rule 1005924)`,
  },
  im: {
    key: 'im',
    module: 'integrity-monitoring',
    title: 'Integrity Monitoring',
    does: {
      linux: 'appends a comment line to /etc/hosts, then restores the file\'s previous content',
      windows: 'appends a comment line to C:\\Windows\\System32\\drivers\\etc\\hosts, then restores its previous content',
    },
    rules: { linux: [IM_LINUX], windows: [IM_WINDOWS] },
    expects: {
      linux: { module: 'integrity-monitoring', signatureIds: [Number(IM_LINUX.identifier) + 1_000_000] },
      windows: { module: 'integrity-monitoring', signatureIds: [Number(IM_WINDOWS.identifier) + 1_000_000] },
    },
    source: `${DOCS}: Set up Integrity Monitoring, Test Integrity Monitoring (rules 1003513 / 1002773)`,
  },
  li: {
    key: 'li',
    module: 'log-inspection',
    title: 'Log Inspection',
    does: {
      linux: 'one SSH login to 127.0.0.1 as an account that does not exist (dskit-nouser-<run>), no password sent',
      windows: 'one SMB logon to \\\\127.0.0.1\\IPC$ as an account that does not exist (dskit-nouser-<run>): event 4625',
    },
    rules: { linux: [LI_DEFAULTS, LI_LINUX], windows: [LI_DEFAULTS, LI_WINDOWS] },
    expects: same({ module: 'log-inspection' }),
    source: `${DOCS}: Set up Log Inspection, Test Log Inspection (rules 1002792 with 1002831 / 1002795)`,
  },
  fw: {
    key: 'fw',
    module: 'firewall',
    title: 'Firewall',
    does: same(`one outgoing TCP connection attempt to ${FIREWALL_PROBE.address}:${FIREWALL_PROBE.port} (5 s), which a Deny rule drops`),
    rules: same([]),
    expects: same({ module: 'firewall', dpt: FIREWALL_PROBE.port, act: /deny/i }),
    source: `${DOCS}: Firewall rule actions (Deny), syslog event 21 "Deny Firewall rule"`,
  },
};

/** `am,ips` → the keys, in catalogue order; one clear line for anything else. */
export function parseModules(text: string | undefined): ModuleKey[] {
  if (text === undefined) return [...MODULE_KEYS];
  const given = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = given.filter((g) => !isModuleKey(g));
  if (given.length === 0 || unknown.length > 0) {
    throw new RangeError(`--modules: got "${text}"; allowed: a comma-separated list of ${MODULE_KEYS.join(', ')}`);
  }
  return MODULE_KEYS.filter((k) => given.includes(k));
}
