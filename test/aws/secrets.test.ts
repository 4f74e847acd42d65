/**
 * No secret reaches the cloud assembly: the CDK app (bin/aws.ts, as `cdk synth` runs it) is given
 * a canary token through every input a user might put one in — the API key variable the config
 * names, the usual credential variables, CDK context — and the canary must appear nowhere in what
 * it writes. The VMs read the token at boot from Secrets Manager by the secret's name.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { exampleRaw } from '../helpers/config';
import { REPO_ROOT } from '../helpers/cli';
import { realManager } from './synth';

const CANARY = 'dskit-canary-7c2b9f1e4d6a';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('a canary token given to the CDK app never reaches the cloud assembly', () => {
  let dir: string;
  let out: string;
  let result: ReturnType<typeof spawnSync>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-canary-'));
    out = path.join(dir, 'cdk.out');
    const raw = exampleRaw();
    realManager(raw);
    raw.manager.apiKeyEnv = 'LAB_DS_API_KEY';
    raw.manager.activationTokenSecret = 'lab-activation-token';
    delete raw.gcp;
    fs.writeFileSync(path.join(dir, 'sandbox.yaml'), stringify(raw));
    result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'bin', 'aws.ts')], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        DSKIT_CONFIG: path.join(dir, 'sandbox.yaml'),
        CDK_OUTDIR: out,
        LAB_DS_API_KEY: CANARY,
        DS_API_KEY: CANARY,
        DS_ACTIVATION_TOKEN: CANARY,
        DSKIT_ACTIVATION_TOKEN: CANARY,
        ACTIVATION_TOKEN: CANARY,
        AWS_SECRET_ACCESS_KEY: CANARY,
        AWS_SESSION_TOKEN: CANARY,
        CDK_CONTEXT_JSON: JSON.stringify({ activationToken: CANARY }),
      },
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('synth succeeds, cdk-nag included', () => {
    expect(result.stderr).not.toMatch(/ERROR|Validation failed/);
    expect(result.status).toBe(0);
  });

  test('the template names the secret for the VMs to read, and holds nothing of its value', () => {
    const template = fs.readFileSync(path.join(out, 'ds-eval-aws.template.json'), 'utf8');
    expect(template).toContain(':secret:lab-activation-token-??????');
    const leaks = filesUnder(out).filter((f) => fs.readFileSync(f).includes(CANARY));
    expect(leaks.map((f) => path.relative(out, f))).toEqual([]);
    expect(`${result.stdout}${result.stderr}`).not.toContain(CANARY);
  });
});
