/**
 * GCP label values allow only lowercase letters, digits, `_` and `-`, up to 63 characters,
 * so `owner: secops@example.com` becomes `secops_at_example_com`.
 */
export function gcpLabelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/@/g, '_at_')
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
}
