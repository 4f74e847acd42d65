/**
 * The CDK app as `dskit synth` runs it (directly, without the CDK CLI): it reads the lookups pinned
 * in cdk.context.json itself, so its template is the one `cdk deploy` would deploy, literal AMI ids
 * and all, with no deploy refusal; and without the file it refuses, naming what to run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../lib/config';
import { exampleRaw } from '../helpers/config';
import { REPO_ROOT } from '../helpers/cli';
import { fakeAmi, pinnedContext, realManager, TEST_ACCOUNT } from './synth';

function synthApp(dir: string): { status: number | null; template: any; stderr: string } {
  const out = path.join(dir, 'cdk.out');
  fs.rmSync(out, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, DSKIT_CONFIG: path.join(dir, 'sandbox.yaml'), CDK_OUTDIR: out };
  delete env.CDK_CONTEXT_JSON;
  delete env.CDK_DEFAULT_ACCOUNT;
  const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'bin', 'aws.ts')], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  const file = path.join(out, 'ds-eval-aws.template.json');
  return { status: r.status, stderr: r.stderr, template: fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined };
}

describe('the CDK app run directly reads cdk.context.json', () => {
  let dir: string;
  let withPins: ReturnType<typeof synthApp>;
  let withoutPins: ReturnType<typeof synthApp>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-pins-'));
    const raw = exampleRaw();
    realManager(raw);
    raw.aws.account = TEST_ACCOUNT;
    delete raw.gcp;
    fs.writeFileSync(path.join(dir, 'sandbox.yaml'), stringify(raw));
    withoutPins = synthApp(dir);
    fs.writeFileSync(path.join(dir, 'cdk.context.json'), JSON.stringify(pinnedContext(parseConfig(stringify(raw), 'sandbox.yaml')), null, 2));
    withPins = synthApp(dir);
  }, 240_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('with the pins: the pinned AMI ids, and no refusal', () => {
    expect(withPins.status).toBe(0);
    const images = Object.values<any>(withPins.template.Resources).filter((r) => r.Type === 'AWS::EC2::Instance').map((r) => r.Properties.ImageId);
    expect(images.sort()).toEqual([fakeAmi('amazon-linux-2023', 'x86_64'), fakeAmi('windows-2022', 'x86_64')].sort());
    expect(Object.keys(withPins.template.Rules ?? {}).filter((id) => id !== 'CheckBootstrapVersion')).toEqual([]);
  });

  test('without them: a template whose deploy is refused, saying to run cdk synth with credentials', () => {
    expect(withoutPins.status).toBe(0);
    const rules = Object.entries<any>(withoutPins.template.Rules).filter(([id]) => id !== 'CheckBootstrapVersion');
    expect(rules).toHaveLength(1);
    expect(rules[0][1].Assertions[0].AssertDescription).toMatch(/aws\.vms\[0\]\.os: the amazon-linux-2023 \(x86_64\) image is not pinned yet: run `npx cdk synth`/);
  });
});
