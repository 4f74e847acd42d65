/**
 * The GCP stack's local Terraform state lives in the project root, not in cdktf.out (which the
 * cdktf CLI prunes), and state left in the old place is moved or refused with the exact command.
 * The cdktf CLI runs for real here (`cdktf synth` needs no Terraform and no provider).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../lib/config/load';
import { legacyStateFile, localBackendPath, localStateFile, projectDirOf, relocateLegacyState, stackWorkDir } from '../../lib/gcp/state';
import { exampleRaw } from '../helpers/config';

const TSX = require.resolve('tsx/cjs');
const GCP_APP = path.join(PACKAGE_ROOT, 'bin', 'gcp.ts');
const CDKTF = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'cdktf');

/** A state file as Terraform writes it, with `n` resources. */
const stateWith = (n: number, serial = 1) =>
  JSON.stringify({ version: 4, terraform_version: '1.11.4', serial, lineage: 'test', outputs: {}, resources: Array.from({ length: n }, (_, i) => ({ type: 'google_compute_network', name: `n${i}`, instances: [] })) });

function seedLegacyState(outdir: string, stack: string, content: string): void {
  fs.mkdirSync(path.join(stackWorkDir(outdir, stack), '.terraform'), { recursive: true });
  fs.writeFileSync(legacyStateFile(outdir, stack), content);
  fs.writeFileSync(`${legacyStateFile(outdir, stack)}.backup`, stateWith(0));
  // Terraform's backend cache: left in place, `terraform init` would stop at "backend configuration changed".
  fs.writeFileSync(path.join(stackWorkDir(outdir, stack), '.terraform', 'terraform.tfstate'), '{"backend":{"type":"local"}}');
}

describe('cdktf synth of one config, then of another (the real cdktf CLI)', () => {
  let project: string;
  let outdir: string;
  let first: { code: number | null; output: string };
  let second: { code: number | null; output: string };
  /** The local backend path the first synth wrote for ds-eval-gcp (its directory is pruned by the second). */
  let firstBackendPath: string;
  let backendCacheLeft: boolean;
  const stateContent = stateWith(3, 7);

  const cdktfSynth = (env: Record<string, string>) => {
    const r = spawnSync(CDKTF, ['synth'], { cwd: project, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env }, timeout: 120_000 });
    return { code: r.status, output: `${r.stdout}${r.stderr}` };
  };

  beforeAll(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-state-'));
    outdir = path.join(project, 'cdktf.out');
    // A project directory as a user has it: cdktf.json running dskit's GCP app.
    fs.writeFileSync(
      path.join(project, 'cdktf.json'),
      JSON.stringify({ language: 'typescript', app: `node --require ${TSX} ${GCP_APP}`, sendCrashReports: 'false', terraformProviders: [], terraformModules: [] }),
    );
    const other = exampleRaw();
    other.name = 'lab-b';
    fs.writeFileSync(path.join(project, 'other.yaml'), stringify(other));
    // A deploy made before the fix: its state inside cdktf.out.
    seedLegacyState(outdir, 'ds-eval-gcp', stateContent);

    first = cdktfSynth({ DSKIT_CONFIG: '' }); // no sandbox.yaml here: the bundled example, with its notice
    backendCacheLeft = fs.existsSync(path.join(stackWorkDir(outdir, 'ds-eval-gcp'), '.terraform', 'terraform.tfstate'));
    firstBackendPath = JSON.parse(fs.readFileSync(path.join(stackWorkDir(outdir, 'ds-eval-gcp'), 'cdk.tf.json'), 'utf8')).terraform.backend.local.path;
    second = cdktfSynth({ DSKIT_CONFIG: path.join(project, 'other.yaml') });
  });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  test('the backend path, resolved where Terraform runs, is terraform.<stack>.tfstate in the project root', () => {
    expect(first.code).toBe(0);
    expect(fs.existsSync(path.join(outdir, 'stacks', 'lab-b-gcp', 'cdk.tf.json'))).toBe(true);
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'lab-b-gcp', 'cdk.tf.json'), 'utf8'));
    expect(tf.terraform.backend.local.path).toBe('../../../terraform.lab-b-gcp.tfstate');
    expect(path.resolve(stackWorkDir(outdir, 'lab-b-gcp'), tf.terraform.backend.local.path)).toBe(path.join(project, 'terraform.lab-b-gcp.tfstate'));
    expect(localStateFile(projectDirOf(outdir), 'lab-b-gcp')).toBe(path.join(project, 'terraform.lab-b-gcp.tfstate'));
  });

  test('state found in the old place is moved to the project root, with its backup, and the backend cache dropped', () => {
    expect(first.output).toContain('dskit: moved the Terraform state of ds-eval-gcp out of cdktf.out (which cdktf deletes)');
    expect(fs.readFileSync(path.join(project, 'terraform.ds-eval-gcp.tfstate'), 'utf8')).toBe(stateContent);
    expect(fs.existsSync(path.join(project, 'terraform.ds-eval-gcp.tfstate.backup'))).toBe(true);
    expect(backendCacheLeft).toBe(false);
  });

  test('synthesizing another config prunes the first stack\'s directory, and its state survives', () => {
    expect(second.code).toBe(0);
    expect(fs.existsSync(stackWorkDir(outdir, 'ds-eval-gcp'))).toBe(false);
    expect(fs.readFileSync(localStateFile(project, 'ds-eval-gcp'), 'utf8')).toBe(stateContent);
  });

  test('`cdktf destroy` (a synth of that config, then Terraform in its stack directory) reads that file, where teardown looks', () => {
    const read = path.resolve(stackWorkDir(outdir, 'ds-eval-gcp'), firstBackendPath);
    expect(read).toBe(localStateFile(project, 'ds-eval-gcp'));
    expect(fs.readFileSync(read, 'utf8')).toBe(stateContent);
  });

  test('the config notice is not shown as an [ERROR] by the cdktf CLI', () => {
    const line = first.output.split(/\r?\n/).find((l) => l.includes('using the bundled example'));
    expect(line).toBeDefined();
    expect(line).not.toContain('[ERROR]');
  });
});

describe('relocateLegacyState', () => {
  let project: string;
  let outdir: string;
  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-state-'));
    outdir = path.join(project, 'cdktf.out');
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  test('nothing in the old place: nothing to do', () => {
    expect(relocateLegacyState(outdir, 'lab-gcp', project)).toEqual({ kind: 'none' });
  });

  test('state in both places: refused, naming both with their resource counts and the exact commands', () => {
    seedLegacyState(outdir, 'lab-gcp', stateWith(2));
    fs.writeFileSync(localStateFile(project, 'lab-gcp'), stateWith(0));
    const r = relocateLegacyState(outdir, 'lab-gcp', project);
    expect(r.kind).toBe('refused');
    expect(r.kind === 'refused' && r.message).toBe(
      'Terraform state of lab-gcp is in two places: cdktf.out/stacks/lab-gcp/terraform.lab-gcp.tfstate (old place, inside cdktf.out: 2 resources) and terraform.lab-gcp.tfstate (0 resources). ' +
        'Keep the one that holds the deployed sandbox: to keep the old one, run mv cdktf.out/stacks/lab-gcp/terraform.lab-gcp.tfstate terraform.lab-gcp.tfstate && rm -f cdktf.out/stacks/lab-gcp/.terraform/terraform.tfstate; ' +
        'to keep terraform.lab-gcp.tfstate, run rm cdktf.out/stacks/lab-gcp/terraform.lab-gcp.tfstate',
    );
    // Nothing was touched.
    expect(fs.existsSync(legacyStateFile(outdir, 'lab-gcp'))).toBe(true);
  });

  test('a Terraform lock on the old state: refused until no Terraform runs there', () => {
    seedLegacyState(outdir, 'lab-gcp', stateWith(1));
    fs.writeFileSync(path.join(stackWorkDir(outdir, 'lab-gcp'), '.terraform.lab-gcp.tfstate.lock.info'), '{}');
    const r = relocateLegacyState(outdir, 'lab-gcp', project);
    expect(r.kind === 'refused' && r.message).toMatch(/Terraform holds a lock on it .*Once no Terraform runs there, move it with: mv /);
    expect(fs.existsSync(localStateFile(project, 'lab-gcp'))).toBe(false);
  });

  test('the GCP app refuses to synthesize over a conflict: exit 1 and the message, nothing written', () => {
    seedLegacyState(outdir, 'ds-eval-gcp', stateWith(2));
    fs.writeFileSync(localStateFile(project, 'ds-eval-gcp'), stateWith(1));
    const r = spawnSync(process.execPath, ['--require', TSX, GCP_APP], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, DSKIT_CONFIG: '', CDKTF_OUTDIR: outdir },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^dskit: Terraform state of ds-eval-gcp is in two places: .* to keep the old one, run mv /);
    expect(fs.existsSync(path.join(stackWorkDir(outdir, 'ds-eval-gcp'), 'cdk.tf.json'))).toBe(false);
  });

  test('the backend path is the same wherever the output directory is', () => {
    expect(localBackendPath(outdir, 'lab-gcp')).toBe('../../../terraform.lab-gcp.tfstate');
    expect(localBackendPath('cdktf.out', 'lab-gcp')).toBe('../../../terraform.lab-gcp.tfstate');
  });
});
