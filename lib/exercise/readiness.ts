/**
 * What the manager must have turned on for each trigger to raise its event, read from the
 * computer itself (the policy's settings as they apply to it, with any computer overrides):
 * module state, the Trend rules the test needs, the firewall rule that drops the probe, and
 * each module's syslog forwarding. Pure: lib/exercise/manager.ts fetches the facts.
 *
 * The `/api` v1 has no call that lists events, so "did it land in the manager" is answered by
 * the manager's side of the chain (module on, rule assigned, module status, forwarding) and the
 * sink answers whether the event arrived.
 */
import { FIREWALL_PROBE, TRIGGERS, type ModuleKey, type Platform } from './catalogue';

/** A module's extension on a computer (`Computer.antiMalware`, `.firewall`, ...). */
export interface ModuleFacts {
  /** `on`, `off`, `detect`, `prevent`, `real-time` (reads never say `inherited`). */
  readonly state?: string;
  readonly ruleIDs?: readonly number[];
  /** `ComputerModuleStatus.agentStatus`: active, inactive, warning, error, not-supported. */
  readonly status?: string;
  readonly statusMessage?: string;
  /** Anti-malware only. */
  readonly realTimeScanConfigurationID?: number;
}

/** One computer as the manager describes it. */
export interface ComputerFacts {
  readonly id: number;
  readonly displayName: string;
  readonly hostName?: string;
  readonly policyId?: number;
  /** `computerStatus.agentStatus`. */
  readonly agentStatus?: string;
  readonly agentStatusMessages?: readonly string[];
  readonly modules: Readonly<Partial<Record<ModuleKey, ModuleFacts>>>;
  /** `computerSettings`: name → value. */
  readonly settings: Readonly<Record<string, string>>;
}

/** Which Trend rules exist in this manager, by identifier, and which firewall rules drop the probe. */
export interface RuleDirectory {
  /** `ips:1005924` → the manager's ID of that rule (`im:`, `li:` likewise). */
  readonly ids: ReadonlyMap<string, readonly number[]>;
  /** IDs of firewall rules that deny the trigger's probe. */
  readonly probeDenials: ReadonlySet<number>;
}

export interface Readiness {
  /** The module is off here: nothing will raise an event. */
  readonly off: boolean;
  /** What to turn on, one line each; empty when nothing is missing. */
  readonly needs: readonly string[];
  /** What does not stop the event but may delay or explain a miss. */
  readonly notes: readonly string[];
}

/** The computer's extension holding each module. */
export const MODULE_EXTENSIONS: Readonly<Record<ModuleKey, string>> = {
  am: 'antiMalware',
  wrs: 'webReputation',
  ips: 'intrusionPrevention',
  im: 'integrityMonitoring',
  li: 'logInspection',
  fw: 'firewall',
};

/** The syslog configuration setting of each module (firewall and IPS share one, as in v1). */
export const FORWARDING_SETTINGS: Readonly<Record<ModuleKey, string>> = {
  am: 'antiMalwareSettingSyslogConfigId',
  wrs: 'webReputationSettingSyslogConfigId',
  ips: 'firewallSettingSyslogConfigId',
  im: 'integrityMonitoringSettingSyslogConfigId',
  li: 'logInspectionSettingSyslogConfigId',
  fw: 'firewallSettingSyslogConfigId',
};

const IM_REALTIME_SETTING = 'integrityMonitoringSettingRealtimeEnabled';
const LI_SYSLOG_LEVEL_SETTING = 'logInspectionSettingSeverityClippingAgentEventSendSyslogLevelMin';
/** Trend's Log Inspection test lowers the severity threshold to Low (3). */
const LI_TEST_LEVEL = 3;

const ON_STATES: Readonly<Record<ModuleKey, readonly string[]>> = {
  am: ['on'],
  wrs: ['on'],
  ips: ['detect', 'prevent', 'on'],
  im: ['on', 'real-time'],
  li: ['on'],
  fw: ['on'],
};

export function ruleKey(module: ModuleKey, identifier: string): string {
  return `${module}:${identifier}`;
}

function where(c: ComputerFacts): string {
  return c.policyId !== undefined ? `policy ${c.policyId} (or ${c.displayName}'s own settings)` : `${c.displayName}'s policy`;
}

/** Whether a firewall rule (a v1 `FirewallRule`) drops an outgoing TCP connection to the probe. */
export function deniesProbe(rule: Readonly<Record<string, unknown>>): boolean {
  if (rule.action !== 'deny' || rule.direction !== 'outgoing' || rule.logDisabled === true) return false;
  if (rule.protocolNot === true || !['tcp', 'tcp-udp', 'any'].includes(String(rule.protocol ?? 'any'))) return false;
  if (rule.destinationPortNot === true || rule.destinationIPNot === true) return false;
  const portType = String(rule.destinationPortType ?? 'any');
  const ports = (rule.destinationPortMultiple as string[] | undefined) ?? [];
  const portOk =
    portType === 'any' ||
    (portType === 'multiple' &&
      ports.some((p) => {
        const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(p);
        return m !== null && FIREWALL_PROBE.port >= Number(m[1]) && FIREWALL_PROBE.port <= Number(m[2] ?? m[1]);
      }));
  const ipType = String(rule.destinationIPType ?? 'any');
  const ipOk =
    ipType === 'any' ||
    (ipType === 'single' && rule.destinationIPValue === FIREWALL_PROBE.address) ||
    (ipType === 'multiple' && ((rule.destinationIPMultiple as string[] | undefined) ?? []).includes(FIREWALL_PROBE.address)) ||
    (ipType === 'masked-ip' && maskedContains(String(rule.destinationIPValue ?? ''), String(rule.destinationIPMask ?? ''), FIREWALL_PROBE.address));
  return portOk && ipOk;
}

const ipv4 = (s: string): number | undefined => {
  const parts = s.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
};

function maskedContains(value: string, mask: string, address: string): boolean {
  const [ip, bits] = value.includes('/') ? value.split('/') : [value, mask];
  const net = ipv4(ip);
  const a = ipv4(address);
  if (net === undefined || a === undefined) return false;
  const prefix = /^\d+$/.test(bits) ? Number(bits) : undefined;
  const maskNum = prefix !== undefined ? (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0) : ipv4(bits);
  if (maskNum === undefined) return false;
  return ((net & maskNum) >>> 0) === ((a & maskNum) >>> 0);
}

/** The trigger's module on one computer: off, what is missing, what may delay it. */
export function readinessOf(
  key: ModuleKey,
  platform: Platform,
  computer: ComputerFacts | undefined,
  rules: RuleDirectory,
  expectedSyslogConfigId: number,
): Readiness {
  const trigger = TRIGGERS[key];
  if (!computer) return { off: false, needs: [], notes: [] };
  const facts = computer.modules[key] ?? {};
  const place = where(computer);
  const needs: string[] = [];
  const notes: string[] = [];
  const state = facts.state;
  const off = state !== undefined && !ON_STATES[key].includes(state);
  if (off) {
    const to = key === 'ips' ? 'Detect (or Prevent)' : key === 'im' ? 'Real Time' : 'On';
    needs.push(`turn ${trigger.title} ${to} in ${place} (it is ${state})`);
  } else if (state === undefined) {
    notes.push(`the manager did not report ${trigger.title}'s state on ${computer.displayName}`);
  }
  if (key === 'am' && !off && !(facts.realTimeScanConfigurationID && facts.realTimeScanConfigurationID > 0)) {
    needs.push(`give ${trigger.title} a real-time scan configuration in ${place} (Anti-Malware > General > Real-Time Scan)`);
  }
  for (const rule of trigger.rules[platform]) {
    const ids = rules.ids.get(ruleKey(key, rule.identifier)) ?? [];
    const assigned = facts.ruleIDs ?? [];
    if (ids.length === 0) needs.push(`rule ${rule.identifier} "${rule.name}" is not in this manager: update the rules (Administration > Updates > Security), then assign it in ${place}`);
    else if (!ids.some((id) => assigned.includes(id))) needs.push(`assign ${trigger.title} rule ${rule.identifier} "${rule.name}" in ${place}`);
  }
  if (key === 'fw' && !(facts.ruleIDs ?? []).some((id) => rules.probeDenials.has(id))) {
    needs.push(
      `assign a Firewall rule in ${place} that denies the probe: action Deny, direction Outgoing, protocol TCP, ` +
        `destination ${FIREWALL_PROBE.address} (or any), destination port ${FIREWALL_PROBE.port} (or any), logging on`,
    );
  }
  if (key === 'im' && state === 'on' && computer.settings[IM_REALTIME_SETTING] !== 'true') {
    notes.push(`${trigger.title} is not real-time here: the change shows at the next integrity scan (Integrity Monitoring > General > Real Time)`);
  }
  if (key === 'li') {
    const level = /(\d+)/.exec(computer.settings[LI_SYSLOG_LEVEL_SETTING] ?? '')?.[1];
    if (level !== undefined && Number(level) > LI_TEST_LEVEL) {
      needs.push(`lower Log Inspection > Advanced "send events to syslog" severity to Low (${LI_TEST_LEVEL}) in ${place} (it is ${computer.settings[LI_SYSLOG_LEVEL_SETTING]})`);
    }
  }
  const forwarding = FORWARDING_SETTINGS[key];
  const configured = (computer.settings[forwarding] ?? '').trim();
  if (configured === '' || configured === '0') {
    needs.push(`forward ${trigger.title} events to syslog in ${place} (setting ${forwarding} is unset; dskit policy ensure sets it from events.syslogConfigId)`);
  } else if (expectedSyslogConfigId > 0 && configured !== String(expectedSyslogConfigId)) {
    notes.push(`${trigger.title} events go to syslog configuration ${configured}, not events.syslogConfigId ${expectedSyslogConfigId}`);
  }
  if (facts.status && facts.status !== 'active' && !off) {
    notes.push(`${trigger.title} module status on ${computer.displayName}: ${facts.status}${facts.statusMessage ? ` (${facts.statusMessage})` : ''}`);
  }
  return { off, needs, notes };
}
