/**
 * Where the GCP stack's local Terraform state lives, and moving it out of its old place.
 *
 * cdktf writes each stack to `<outdir>/stacks/<stack>/` and runs Terraform there; its CLI deletes
 * every stack directory the current synth did not produce (cdktf-cli's synth removes orphaned
 * stack directories), so state kept inside cdktf.out is lost when another config is synthesized,
 * and `cdktf destroy` then destroys nothing. The state therefore lives where cdktf keeps it when a
 * stack sets no backend: the project root (the directory holding cdktf.json and cdktf.out/), as
 * `terraform.<stack>.tfstate`.
 *
 * Plain Node (no cdktf): teardown and other CLI commands import it too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The directory cdktf writes a stack to and runs Terraform in. */
export function stackWorkDir(outdir: string, stackName: string): string {
  return path.join(path.resolve(outdir), 'stacks', stackName);
}

/** The project root of an output directory: cdktf.out sits in it. */
export function projectDirOf(outdir: string): string {
  return path.dirname(path.resolve(outdir));
}

/** The stack's local state file: `<project root>/terraform.<stack>.tfstate`. */
export function localStateFile(projectDir: string, stackName: string): string {
  return path.join(path.resolve(projectDir), `terraform.${stackName}.tfstate`);
}

/**
 * The local backend's `path` for the stack: the state file relative to the directory Terraform
 * runs in, so cdk.tf.json names no absolute path of this machine (`../../../terraform.<stack>.tfstate`).
 */
export function localBackendPath(outdir: string, stackName: string): string {
  const from = stackWorkDir(outdir, stackName);
  return path.relative(from, localStateFile(projectDirOf(outdir), stackName)).split(path.sep).join('/');
}

/** Where dskit kept the state before: inside the stack's directory in cdktf.out. */
export function legacyStateFile(outdir: string, stackName: string): string {
  return path.join(stackWorkDir(outdir, stackName), `terraform.${stackName}.tfstate`);
}

export type StateRelocation =
  | { readonly kind: 'none' }
  | { readonly kind: 'moved'; readonly from: string; readonly to: string; readonly message: string }
  | { readonly kind: 'refused'; readonly message: string };

function resourceCount(file: string): string {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { resources?: unknown[] };
    const n = Array.isArray(state.resources) ? state.resources.length : 0;
    return `${n} resource${n === 1 ? '' : 's'}`;
  } catch {
    return 'unreadable';
  }
}

const shellQuote = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, "'\\''")}'`);

/**
 * Moves state left in the old place (inside cdktf.out) to the project root, with its backup, and
 * drops the stack's backend cache (`.terraform/terraform.tfstate`) so `terraform init` takes the
 * new path instead of stopping at "backend configuration changed". Refuses, with the exact
 * commands, when it cannot decide: state in both places, or a Terraform lock on the old one.
 *
 * @param cwd paths in messages are shown relative to it
 */
export function relocateLegacyState(outdir: string, stackName: string, cwd: string = process.cwd()): StateRelocation {
  const from = legacyStateFile(outdir, stackName);
  if (!fs.existsSync(from)) return { kind: 'none' };
  const to = localStateFile(projectDirOf(outdir), stackName);
  const show = (p: string) => shellQuote(path.relative(cwd, p) || p);
  const backendCache = path.join(stackWorkDir(outdir, stackName), '.terraform', 'terraform.tfstate');
  const commands = `mv ${show(from)} ${show(to)} && rm -f ${show(backendCache)}`;
  const lock = path.join(path.dirname(from), `.terraform.${stackName}.tfstate.lock.info`);
  if (fs.existsSync(lock)) {
    return {
      kind: 'refused',
      message:
        `Terraform state of ${stackName} is still in ${show(from)}, inside cdktf.out (which cdktf deletes), and Terraform holds a lock on it (${show(lock)}). ` +
        `Once no Terraform runs there, move it with: ${commands}`,
    };
  }
  if (fs.existsSync(to)) {
    return {
      kind: 'refused',
      message:
        `Terraform state of ${stackName} is in two places: ${show(from)} (old place, inside cdktf.out: ${resourceCount(from)}) and ${show(to)} (${resourceCount(to)}). ` +
        `Keep the one that holds the deployed sandbox: to keep the old one, run ${commands}; to keep ${show(to)}, run rm ${show(from)}`,
    };
  }
  fs.renameSync(from, to);
  if (fs.existsSync(`${from}.backup`) && !fs.existsSync(`${to}.backup`)) fs.renameSync(`${from}.backup`, `${to}.backup`);
  fs.rmSync(backendCache, { force: true });
  return { kind: 'moved', from, to, message: `dskit: moved the Terraform state of ${stackName} out of cdktf.out (which cdktf deletes): ${show(from)} → ${show(to)}` };
}
