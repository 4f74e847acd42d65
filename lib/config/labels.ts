/**
 * GCP label values allow only lowercase letters, digits, `_` and `-`, up to 63 characters,
 * so `owner: secops@example.com` becomes `secops_at_example_com`.
 */
export function gcpLabelValue(value: string): string {
  return gcpLabelForm(value).slice(0, GCP_LABEL_MAX);
}

export const GCP_LABEL_MAX = 63;

/** The label form before the length cut; the config refuses an owner whose form is too long. */
export function gcpLabelForm(value: string): string {
  return value
    .toLowerCase()
    .replace(/@/g, '_at_')
    .replace(/[^a-z0-9_-]/g, '_');
}
