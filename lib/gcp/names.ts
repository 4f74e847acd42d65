/**
 * Names of the GCP resources a sandbox creates, derived from the config alone so that
 * `dskit teardown` and the docs can name them without asking the cloud.
 */

/** The Cloud Logging log the Ops Agent's syslog receiver writes DS events to (SPEC §5). */
export const EVENTS_LOG_NAME = 'ds-events';

/**
 * The table the Log Router sink writes `ds-events` entries to: the log id with `-` as `_`,
 * without a date suffix because the sink uses partitioned tables.
 */
export const EVENTS_TABLE_ID = 'ds_events';

/** Ingress from IAP TCP forwarding comes from this range (SSH/RDP without public addresses). */
export const IAP_TCP_FORWARDING_RANGE = '35.235.240.0/20';

/**
 * Every GCP resource of a sandbox that cannot carry labels has a name that starts with this, so a
 * name search finds them (Cloud Asset Inventory `name:`). In provider 6.50 (website/docs/r/
 * compute_network, compute_subnetwork, compute_firewall, compute_router, compute_router_nat,
 * service_account, logging_project_sink, logging_project_exclusion .html.markdown) none of those
 * has a `labels` argument; compute_instance (and its boot disk's initialize_params), bigquery_dataset
 * and bigquery_table do.
 */
export function sandboxNamePrefix(sandbox: string): string {
  return `${sandbox}-`;
}

/** `<sandbox>-dskit-vm`: 11-29 characters for a 2-20 character sandbox name (GCP allows 6-30). */
export function serviceAccountId(sandbox: string): string {
  const id = `${sandboxNamePrefix(sandbox)}dskit-vm`;
  if (!/^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/.test(id)) {
    throw new Error(`name: "${sandbox}" gives service account id "${id}", which GCP refuses; use 2-20 characters [a-z][a-z0-9-]*`);
  }
  return id;
}

/** BigQuery dataset ids allow letters, digits and `_` only. */
export function eventsDatasetId(sandbox: string): string {
  return `dskit_${sandbox.replace(/-/g, '_')}_events`;
}

/** A report id (`top-source-ips`) as a BigQuery view id (`top_source_ips`). */
export function reportViewId(reportId: string): string {
  return reportId.replace(/-/g, '_');
}
