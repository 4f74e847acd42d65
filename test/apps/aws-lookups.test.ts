/**
 * `aws.account` set: CDK looks up the account's availability zones, which needs credentials. Run
 * without the CDK CLI (`dskit synth`, `npm run synth`) the app used to write placeholder zones
 * (dummy1a) and report success; now it says, per key, what needs credentials, the deploy refuses
 * the placeholders, and it uses the lookups the CLI cached in cdk.context.json (issue 14 item 3).
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

  const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
  const WINDOWS = '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';
  const imageKey = (parameter: string) => `ssm:account=${ACCOUNT}:additionalCacheKey=dskit-sandbox-ds-eval:parameterName=${parameter}:region=ap-northeast-1`;
  const deployRefusals = () =>
    Object.entries<any>(template().Rules ?? {})
      .filter(([id]) => id !== 'CheckBootstrapVersion')
      .flatMap(([, rule]) => rule.Assertions.map((a: any) => a.AssertDescription as string));

  test('without cached lookups: synth needs no credentials, says per key what does, and the deploy refuses the placeholders', () => {
    const r = synth();
    expect(r.code).toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /: aws\.account: with aws\.account 123456789012 set, the VPC's availability zones in ap-northeast-1 are looked up in that account \(EC2 DescribeAvailabilityZones\), which needs AWS credentials; run `npx cdk synth` once with AWS credentials .*placeholders and its deploy is refused \(zones dummy1a, dummy1b\)$/,
      ),
      expect.stringMatching(new RegExp(`: aws\\.vms\\[0\\]\\.os: the image is looked up in aws\\.account 123456789012 \\(SSM GetParameter ${AL2023}\\), which needs AWS credentials`)),
      expect.stringMatching(new RegExp(`: aws\\.vms\\[1\\]\\.os: the image is looked up in aws\\.account 123456789012 \\(SSM GetParameter ${WINDOWS}\\), which needs AWS credentials`)),
    ]);
    // Never silently: the placeholder zones and images cannot be deployed.
    expect(subnetZones()).toEqual(['dummy1a', 'dummy1b']);
    const refusals = deployRefusals().join('\n');
    expect(refusals).toMatch(/availability zones are not pinned yet/);
    expect(refusals).toMatch(/aws\.vms\[0\]\.os: the amazon-linux-2023 \(x86_64\) image is not pinned yet/);
  });

  test('under the CDK CLI the missing lookups are left to the CLI, which performs them', () => {
    const r = synth({ CDK_CLI_VERSION: '2.1148.1' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', 'manifest.json'), 'utf8'));
    expect(manifest.missing.map((m: { key: string }) => m.key).sort()).toEqual([AZ_KEY, imageKey(AL2023), imageKey(WINDOWS)].sort());
  });

  test('with the lookups cached in cdk.context.json (as `cdk synth` leaves them) the template uses them and nothing is refused', () => {
    fs.writeFileSync(
      path.join(dir, 'cdk.context.json'),
      JSON.stringify({ [AZ_KEY]: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'], [imageKey(AL2023)]: 'ami-0123456789abcdef0', [imageKey(WINDOWS)]: 'ami-0fedcba9876543210' }),
    );
    const r = synth();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(subnetZones()).toEqual(['ap-northeast-1a', 'ap-northeast-1c']);
    expect(deployRefusals().filter((d) => /not pinned/.test(d))).toEqual([]);
  });
});
