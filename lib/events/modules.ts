/**
 * Which Deep Security module raised an event, from its signature id (SPEC §5). Shared by the SQL
 * renderings and the TypeScript scanner so both classify alike.
 *
 * Sources (docs/events.md has the table): Trend's "Syslog message formats" page (the Signature ID
 * table: 10 custom IPS rule, 20/21 firewall rules, 30 custom integrity rule, 40 custom log
 * inspection rule, 100-199 policy firewall and stateful configuration, 1,000,000+ IPS, 2,000,000+
 * integrity, 3,000,000+ log inspection, 4,000,000+ anti-malware, 5,000,000+ web reputation,
 * 6,000,000+ application control, 7,000,000-7,999,999 device control); Splunk Connect for Syslog's
 * Deep Security Agent parser (package/shared/addons/trendmicro/app-cef-trendmicro_deep_agent.conf)
 * and SEKOIA's intake format (Trend Micro/deep-security/ingest/parser.yml) classify the same way.
 * 850-854 is not a firewall range in any of them: Trend's table puts 500-899 under IPS
 * normalization inside the system events, and the manager sends 850-854 as "Reconnaissance
 * Detected" system events; so those ids are system events here.
 */
export type EventModule =
  | 'firewall'
  | 'intrusion-prevention'
  | 'integrity-monitoring'
  | 'log-inspection'
  | 'anti-malware'
  | 'web-reputation'
  | 'application-control'
  | 'device-control'
  | 'system';

export interface ModuleRange {
  readonly module: Exclude<EventModule, 'system'>;
  /** Inclusive [low, high] signature id ranges. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
}

export const MODULE_RANGES: readonly ModuleRange[] = [
  { module: 'firewall', ranges: [[20, 21], [100, 199]] },
  { module: 'intrusion-prevention', ranges: [[10, 10], [1_000_000, 1_999_999]] },
  { module: 'integrity-monitoring', ranges: [[30, 30], [2_000_000, 2_999_999]] },
  { module: 'log-inspection', ranges: [[40, 40], [3_000_000, 3_999_999]] },
  { module: 'anti-malware', ranges: [[4_000_000, 4_999_999]] },
  { module: 'web-reputation', ranges: [[5_000_000, 5_999_999]] },
  { module: 'application-control', ranges: [[6_000_000, 6_999_999]] },
  { module: 'device-control', ranges: [[7_000_000, 7_999_999]] },
];

/** Every module name, the system events last: the order reports and charts list them in. */
export const EVENT_MODULES: readonly EventModule[] = [...MODULE_RANGES.map((r) => r.module), 'system'];

/**
 * The manager's own system events reuse low ids (e.g. 100-199) that the agent uses for firewall
 * events; DS documents the Device Product field as the way to tell them apart ("Deep Security
 * Manager", "Workload Security Manager", "Server & Workload Protection Manager"), so a product
 * that names the manager is always a system event.
 */
export const MANAGER_PRODUCT_MARK = 'Manager';

export function moduleOf(signatureId: number | null, product: string | null): EventModule {
  if (product !== null && product.includes(MANAGER_PRODUCT_MARK)) return 'system';
  if (signatureId === null) return 'system';
  for (const { module, ranges } of MODULE_RANGES) {
    if (ranges.some(([low, high]) => signatureId >= low && signatureId <= high)) return module;
  }
  return 'system';
}
