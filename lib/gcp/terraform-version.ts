/**
 * The oldest Terraform the GCP stack runs on: the first with the built-in `terraform_data`
 * resource (Terraform 1.4). The stack says so in `terraform.required_version`, and
 * `dskit preflight --cloud gcp` checks the installed one. No cdktf here, so the CLI can read it.
 */
export const MIN_TERRAFORM_VERSION = '1.4';
