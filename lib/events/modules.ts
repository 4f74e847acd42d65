/**
 * Which Deep Security module raised an event, from its signature id (SPEC §5). Shared by the SQL
 * renderings and the TypeScript parser so both classify alike.
 */
export type EventModule =
  | 'firewall'
  | 'intrusion-prevention'
  | 'integrity-monitoring'
  | 'log-inspection'
  | 'anti-malware'
  | 'web-reputation'
  | 'application-control'
  | 'system';

export interface ModuleRange {
  readonly module: Exclude<EventModule, 'system'>;
  /** Inclusive [low, high] signature id ranges. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
}

export const MODULE_RANGES: readonly ModuleRange[] = [
  { module: 'firewall', ranges: [[20, 21], [100, 199], [850, 854]] },
  { module: 'intrusion-prevention', ranges: [[1_000_000, 1_999_999]] },
  { module: 'integrity-monitoring', ranges: [[2_000_000, 2_999_999]] },
  { module: 'log-inspection', ranges: [[3_000_000, 3_999_999]] },
  { module: 'anti-malware', ranges: [[4_000_000, 4_999_999]] },
  { module: 'web-reputation', ranges: [[5_000_000, 5_999_999]] },
  { module: 'application-control', ranges: [[6_000_000, 6_999_999]] },
];

/**
 * The manager's own system events reuse low ids (e.g. 100-199) that the agent uses for firewall
 * events; DS documents the Device Product field as the way to tell them apart, so a product that
 * names the manager is always a system event.
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
