/**
 * `aws.account` set: CDK looks up the account's availability zones, which needs credentials. Run
 * without the CDK CLI (`dskit synth`, `npm run synth`) the app used to write placeholder zones
 * (dummy1a) and report success; now it says what needs credentials and fails, and uses the
 * lookups the CLI cached in cdk.context.json (issue 14 item 3).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { exampleRaw } from '../helpers/config';
import { REPO_ROOT } from '../helpers/cli';

const ACCOUNT = '123456789012';
const AZ_KEY = `availability-zones:account=${ACCOUNT}:region=ap-northeast-1`;

describe('AWS app with aws.account set', () => {
  let dir: string;
  let file: string;
  const synth = (env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'bin/aws.ts')], {
      cwd: dir,
      env: { ...process.env, DSKIT_CONFIG: file, CDK_OUTDIR: path.join(dir, 'cdk.out'), CDK_CLI_VERSION: '', CDK_DEFAULT_ACCOUNT: '', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, stderr: r.stderr };
  };
  const template = () => JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', 'ds-eval-aws.template.json'), 'utf8'));
  const subnetZones = () =>
    Object.values<any>(template().Resources)
      .filter((r) => r.Type === 'AWS::EC2::Subnet')
      .map((r) => r.Properties.AvailabilityZone);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-lookups-'));
    file = path.join(dir, 'sandbox.yaml');
    const raw = exampleRaw();
    raw.aws.account = ACCOUNT;
    fs.writeFileSync(file, stringify(raw));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('without cached zones: one line naming aws.account and what needs credentials, exit 2, no silent dummy zones', () => {
    const r = synth();
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /: aws\.account: with aws\.account 123456789012 set, the VPC's availability zones in ap-northeast-1 are looked up in that account \(EC2 DescribeAvailabilityZones\), which needs AWS credentials; run `npx cdk synth` once with AWS credentials .*placeholder zones \(dummy1a, dummy1b\)$/,
      ),
    ]);
  });

  test('under the CDK CLI the missing lookup is left to the CLI, which performs it', () => {
    const r = synth({ CDK_CLI_VERSION: '2.1148.1' });
    expect(r.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', 'manifest.json'), 'utf8'));
    expect(manifest.missing.map((m: { key: string }) => m.key)).toEqual([AZ_KEY]);
  });

  test('with the zones cached in cdk.context.json (as `cdk synth` leaves them) the template uses them', () => {
    fs.writeFileSync(path.join(dir, 'cdk.context.json'), JSON.stringify({ [AZ_KEY]: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'] }));
    const r = synth();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(subnetZones()).toEqual(['ap-northeast-1a', 'ap-northeast-1c']);
  });
});
