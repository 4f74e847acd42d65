/**
 * `cdktf deploy` runs Terraform: it must be on PATH (or where TERRAFORM_BINARY_NAME, cdktf's own
 * setting, points) and at least the version the stack requires (lib/gcp/terraform-version.ts).
 */
import { spawnSync } from 'node:child_process';
import { MIN_TERRAFORM_VERSION } from '../../gcp/terraform-version';
import { fail, oneLine, pass, type Check } from './check';

const CHECK = 'Terraform for cdktf deploy';
const INSTALL = `install Terraform ${MIN_TERRAFORM_VERSION} or later (https://developer.hashicorp.com/terraform/install) and put it on PATH`;

/** `1.9.8` → [1, 9, 8]. */
function parts(version: string): number[] {
  return version.split('.').map((p) => Number.parseInt(p, 10) || 0);
}

export function versionAtLeast(version: string, minimum: string): boolean {
  const a = parts(version);
  const b = parts(minimum);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/**
 * The version `terraform version -json` reports (Terraform 0.13 and later), or that the plain
 * output's first line names (`Terraform v0.12.31`, from versions that ignore -json).
 */
export function terraformVersionOf(stdout: string): string | undefined {
  try {
    const v = (JSON.parse(stdout) as { terraform_version?: unknown }).terraform_version;
    if (typeof v === 'string' && /^\d+\.\d+/.test(v)) return v;
  } catch {
    // not JSON: an old Terraform
  }
  return /Terraform v(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
}

export function terraformCheck(env: NodeJS.ProcessEnv): Check {
  const binary = env.TERRAFORM_BINARY_NAME?.trim() || 'terraform';
  // CHECKPOINT_DISABLE: no call to HashiCorp's version service from a check.
  const r = spawnSync(binary, ['version', '-json'], { env: { ...env, CHECKPOINT_DISABLE: '1' }, encoding: 'utf8', timeout: 30_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? fail(CHECK, `${binary} is not on PATH: cdktf deploy and destroy run it`, INSTALL)
      : fail(CHECK, `${binary} version failed: ${oneLine(r.error.message)}`, INSTALL);
  }
  const version = terraformVersionOf(r.stdout ?? '');
  if (r.status !== 0 || version === undefined) {
    return fail(CHECK, `\`${binary} version -json\` exited ${r.status ?? 'on a signal'} without a version: ${oneLine(`${r.stderr ?? ''} ${r.stdout ?? ''}`) || 'no output'}`, INSTALL);
  }
  if (!versionAtLeast(version, MIN_TERRAFORM_VERSION)) {
    return fail(CHECK, `${binary} is ${version}; the stack requires >= ${MIN_TERRAFORM_VERSION} (terraform_data is built in from 1.4)`, INSTALL);
  }
  return pass(CHECK, `${binary} ${version} (the stack requires >= ${MIN_TERRAFORM_VERSION})`);
}
