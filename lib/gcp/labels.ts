/** GCP label values: defined beside the config that validates them (lib/config/labels.ts). */
export { GCP_LABEL_MAX, gcpLabelForm, gcpLabelValue } from '../config/labels';
