/** Setting names dskit reads or writes, as the `/api` v1 catalogs spell them. */

/** System setting: "Allow Agent-Initiated Activation". Values seen: "For any computers", "For computers on the following IP list", "Do not allow". */
export const AGENT_INITIATED_ACTIVATION = 'platformSettingAgentInitiatedActivationEnabled';

/** Whether a value of {@link AGENT_INITIATED_ACTIVATION} lets agents activate themselves. */
export function agentInitiatedActivationAllowed(value: string | undefined): { allowed: boolean; restricted: boolean } {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'do not allow' || v === 'false' || v === 'no') return { allowed: false, restricted: false };
  return { allowed: true, restricted: v.includes('ip list') };
}

/**
 * The policy settings that pick each module's syslog configuration. Firewall and intrusion
 * prevention share one (`firewallSettingSyslogConfigId` is "Firewall and Intrusion Prevention
 * Syslog Configuration"); there is no separate intrusion prevention setting in v1.
 */
export const SYSLOG_CONFIG_SETTINGS = [
  'firewallSettingSyslogConfigId',
  'antiMalwareSettingSyslogConfigId',
  'integrityMonitoringSettingSyslogConfigId',
  'logInspectionSettingSyslogConfigId',
  'webReputationSettingSyslogConfigId',
  'applicationControlSettingSyslogConfigId',
] as const;
