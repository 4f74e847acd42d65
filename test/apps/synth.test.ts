/**
 * `dskit synth` (= `npm run synth`) from the bundled example, with no credentials: both apps
 * write their output, and the stacks carry the sandbox tags/labels.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDskit, type CliResult } from '../helpers/cli';

describe('dskit synth from the bundled example', () => {
  let dir: string;
  let result: CliResult;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-synth-'));
    // No cloud credentials of any kind reach the apps, and nothing on PATH: no terraform, aws or
    // gcloud binaries (synth needs Node alone).
    result = runDskit(['synth', '--cloud', 'all', '--json'], {
      cwd: dir,
      env: { PATH: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', GOOGLE_APPLICATION_CREDENTIALS: '', CHECKPOINT_DISABLE: '1' },
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('succeeds for both clouds, with the example notice', () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/using the bundled example/);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ ok: true, command: 'synth', exitCode: 0, problems: [] });
    expect(out.data.results.map((r: { cloud: string; ok: boolean }) => [r.cloud, r.ok])).toEqual([
      ['aws', true],
      ['gcp', true],
    ]);
  });

  test('the CloudFormation template exists and its resources carry the sandbox tags', () => {
    const template = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', 'ds-eval-aws.template.json'), 'utf8'));
    const tagged = Object.values<any>(template.Resources ?? {}).filter((r) => Array.isArray(r.Properties?.Tags));
    for (const r of tagged) {
      expect(r.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'dskit-sandbox', Value: 'ds-eval' }, { Key: 'owner', Value: 'secops@example.com' }]));
    }
  });

  test('the Terraform JSON has the Google provider with the sandbox labels and no credentials', () => {
    const file = path.join(dir, 'cdktf.out', 'stacks', 'ds-eval-gcp', 'cdk.tf.json');
    const tf = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(tf.provider.google[0]).toMatchObject({
      project: 'my-project',
      region: 'asia-northeast1',
      default_labels: { 'dskit-sandbox': 'ds-eval', owner: 'secops_at_example_com' },
    });
    expect(tf.provider.google[0].credentials).toBeUndefined();
    expect(tf.provider.google[0].access_token).toBeUndefined();
  });
});
