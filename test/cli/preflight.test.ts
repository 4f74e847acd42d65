/**
 * `dskit preflight` run as a user runs it, against the fake manager and local doubles of the
 * clouds (test/cloud/setup-doubles.ts, doubles.ts's metadata server) and a stand-in `terraform`
 * on PATH: every finding one line of its own, with the fix, for what the deploy would trip over.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeGcp } from '../cloud/doubles';
import { AWS_ACCOUNT, FakeAwsSetup, FakeSecretManager } from '../cloud/setup-doubles';
import { API_KEY, sandboxRaw, startLab, type Lab } from '../manager/harness';

const PROJECT = 'dskit-lab-1234';
const REGION = 'ap-northeast-1';
const SECRET = 'ds-eval-activation-token';
const VM_ACCOUNT = `ds-eval-dskit-vm@${PROJECT}.iam.gserviceaccount.com`;

/** A `terraform` that answers `version -json` as the real one does, and nothing else. */
function fakeTerraform(dir: string, version: string | undefined): string {
  const bin = path.join(dir, `bin-${version ?? 'none'}`);
  fs.mkdirSync(bin, { recursive: true });
  if (version !== undefined) {
    const json = JSON.stringify({ terraform_version: version, platform: 'linux_amd64', provider_selections: {}, terraform_outdated: false });
    fs.writeFileSync(
      path.join(bin, 'terraform'),
      `#!/bin/sh\nif [ "$1 $2" = "version -json" ]; then echo '${json}'; exit 0; fi\necho "Terraform has no command named \\"$1\\"." >&2; exit 1\n`,
      { mode: 0o755 },
    );
  }
  return bin;
}

const lines = (out: string) => out.split('\n').filter((l) => /^(PASS|WARN|FAIL|SKIP) {2}/.test(l));
const line = (out: string, check: string) => lines(out).find((l) => l.slice(6).startsWith(`${check}:`)) ?? `(no "${check}" line)`;

describe('dskit preflight with the clouds and the manager', () => {
  let lab: Lab;
  let aws: FakeAwsSetup;
  let gcp: FakeGcp;
  let secrets: FakeSecretManager;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let policyId: number;

  /** Every cloud variable of this machine blanked, then the doubles' own. */
  const cloudEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...env, ...extra });

  beforeAll(async () => {
    lab = await startLab();
    aws = new FakeAwsSetup(REGION);
    gcp = new FakeGcp(PROJECT);
    secrets = new FakeSecretManager(PROJECT);
    const [awsUrl, gcpUrl, secretsUrl] = await Promise.all([aws.start(), gcp.start(), secrets.start()]);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-preflight-'));
    const blank = Object.fromEntries(Object.keys(process.env).filter((k) => /^(AWS_|GOOGLE_|GCE_|CLOUDSDK_|METADATA_SERVER|TERRAFORM_)/.test(k)).map((k) => [k, '']));
    env = {
      ...blank,
      HOME: home,
      PATH: `${fakeTerraform(home, '1.9.8')}:/usr/bin:/bin`,
      AWS_CONFIG_FILE: path.join(home, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...aws.env(awsUrl),
      CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
      GCE_METADATA_HOST: gcpUrl.replace(/^http:\/\//, ''),
      CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER: `${secretsUrl}/`,
    };
    policyId = lab.fake.addPolicy({ name: 'Linux Server', policySettings: Object.fromEntries(
      ['firewall', 'antiMalware', 'integrityMonitoring', 'logInspection', 'webReputation', 'applicationControl'].map((m) => [`${m}SettingSyslogConfigId`, { value: '7' }]),
    ) });
  });
  afterAll(async () => {
    await Promise.all([lab.close(), aws.stop(), gcp.stop(), secrets.stop()]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  /** A healthy account and project: bootstrapped, the secret there with a value, types offered. */
  beforeEach(() => {
    aws.parameters = new Map([['/cdk-bootstrap/hnb659fds/version', '21']]);
    aws.secrets = new Map([[SECRET, { versions: { 'v-1': ['AWSCURRENT'] } }]]);
    aws.offerings = new Map(aws.zones.map((z) => [z, ['t3.medium', 't3.large']]));
    aws.denied.clear();
    secrets.secrets = new Map([[SECRET, { versions: ['ENABLED'], bindings: [] }]]);
    secrets.callerPermissions = new Set(['secretmanager.secrets.get', 'secretmanager.secrets.getIamPolicy', 'secretmanager.secrets.setIamPolicy']);
    secrets.serviceDisabled = false;
    lab.fake.systemSettings.set('platformSettingAgentInitiatedActivationEnabled', 'For any computers');
    lab.writeConfig(sandboxRaw(policyId, (raw) => (raw.events.syslogConfigId = 7)));
  });

  test('all is ready: PASS lines for every cloud and manager check, one line each; exit 0', async () => {
    const r = await lab.dskit(['preflight'], { env: cloudEnv() });
    expect(r.stdout).not.toMatch(/^FAIL/m);
    expect(line(r.stdout, 'AWS credentials')).toBe(`PASS  AWS credentials: account ${AWS_ACCOUNT} as arn:aws:iam::${AWS_ACCOUNT}:user/dskit`);
    expect(line(r.stdout, 'cdk bootstrap')).toMatch(/^PASS  cdk bootstrap: ap-northeast-1 is bootstrapped \(\/cdk-bootstrap\/hnb659fds\/version = 21; this CDK needs >= 6\)$/);
    expect(line(r.stdout, 'token secret (AWS)')).toMatch(/^PASS .*"ds-eval-activation-token" exists in ap-northeast-1 with a current value/);
    expect(line(r.stdout, 'AWS instance types offered in their zones')).toMatch(/^PASS .*t3\.medium, t3\.large offered where the VMs go \(ap-northeast-1a, ap-northeast-1c, as EC2 lists them now\)/);
    expect(line(r.stdout, 'Terraform for cdktf deploy')).toBe('PASS  Terraform for cdktf deploy: terraform 1.9.8 (the stack requires >= 1.4)');
    expect(line(r.stdout, 'GCP credentials')).toMatch(/^PASS  GCP credentials: Application Default Credentials/);
    expect(line(r.stdout, 'token secret (GCP)')).toMatch(/^PASS .*its latest version is enabled/);
    expect(line(r.stdout, 'VMs may read the token secret (GCP)')).toContain(`the deploy grants ${VM_ACCOUNT} roles/secretmanager.secretAccessor`);
    expect(line(r.stdout, 'event forwarding')).toMatch(new RegExp(`^PASS  event forwarding: policy ${policyId} "Linux Server" sends every module's events to syslog configuration 7$`));
    expect(line(r.stdout, 'syslog configuration target')).toMatch(/^SKIP .*127\.0\.0\.1:514/);
    expect(r.stdout).toMatch(/^preflight: ready to deploy$/m);
    for (const l of r.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(300);
    expect(r.code).toBe(0);
    // What reached the clouds: one identity call each, signed for the right service (the doubles refuse otherwise).
    expect(aws.requests.map((q) => `${q.service} ${q.action}`)).toEqual(
      expect.arrayContaining(['sts GetCallerIdentity', 'ssm GetParameter', 'secretsmanager DescribeSecret', 'ec2 DescribeAvailabilityZones', 'ec2 DescribeInstanceTypeOfferings']),
    );
  });

  test('--json: the envelope, every check with its outcome and key; ok and exit 0', async () => {
    const r = await lab.dskit(['--json', 'preflight'], { env: cloudEnv() });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['ok', 'command', 'exitCode', 'data', 'problems']);
    expect(out).toMatchObject({ ok: true, command: 'preflight', exitCode: 0, problems: [] });
    for (const c of out.data.checks) expect(Object.keys(c)).toEqual(['outcome', 'check', 'detail', 'fix', 'key']);
    expect(out.data.checks.find((c: any) => c.check === 'event forwarding')).toMatchObject({ outcome: 'PASS', key: 'events.syslogConfigId', fix: null });
    expect(r.code).toBe(0);
  });

  test('AWS not bootstrapped, the secret missing: a FAIL each with the command to run; exit 1', async () => {
    aws.parameters.clear();
    aws.secrets.clear();
    const r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    expect(line(r.stdout, 'cdk bootstrap')).toBe(
      `FAIL  cdk bootstrap: ap-northeast-1 of account ${AWS_ACCOUNT} is not bootstrapped (no SSM parameter /cdk-bootstrap/hnb659fds/version) — fix: run \`npx cdk bootstrap aws://${AWS_ACCOUNT}/ap-northeast-1\``,
    );
    expect(line(r.stdout, 'token secret (AWS)')).toMatch(/^FAIL .*no secret named "ds-eval-activation-token" in ap-northeast-1 — fix: .*aws secretsmanager create-secret --region ap-northeast-1 --name ds-eval-activation-token/);
    expect(r.code).toBe(1);
  });

  test('an old bootstrap, a secret without a value, scheduled for deletion, or on a customer KMS key', async () => {
    aws.parameters.set('/cdk-bootstrap/hnb659fds/version', '5');
    aws.secrets.set(SECRET, { versions: {} });
    let r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    expect(line(r.stdout, 'cdk bootstrap')).toMatch(/^FAIL .*is "5"; this CDK needs version >= 6 — fix: run `npx cdk bootstrap aws:\/\/123456789012\/ap-northeast-1` again/);
    expect(line(r.stdout, 'token secret (AWS)')).toMatch(/^FAIL .*has no current value \(no AWSCURRENT version\)/);

    aws.secrets.set(SECRET, { versions: { v1: ['AWSCURRENT'] }, deletedDate: new Date('2026-07-01T00:00:00Z') });
    r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    expect(line(r.stdout, 'token secret (AWS)')).toMatch(/^FAIL .*is scheduled for deletion \(2026-07-01T00:00:00\.000Z\) — fix: restore it: aws secretsmanager restore-secret/);

    aws.parameters.set('/cdk-bootstrap/hnb659fds/version', '21');
    aws.secrets.set(SECRET, { versions: { v1: ['AWSCURRENT'] }, kmsKeyId: 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
    r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    expect(line(r.stdout, 'token secret (AWS)')).toMatch(/^WARN .*encrypted with KMS key arn:aws:kms:.*no kms:Decrypt on that key — fix: /);
    expect(r.code).toBe(0); // a warning alone does not fail preflight
  });

  test('credentials the cloud refuses: one FAIL saying so, the account checks SKIPped, no SDK dump', async () => {
    const r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv({ AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7WRONGKEY' }) });
    expect(line(r.stdout, 'AWS credentials')).toMatch(/^FAIL  AWS credentials: InvalidClientTokenId: The security token included in the request is invalid\. — fix: set AWS_PROFILE/);
    expect(line(r.stdout, 'AWS account checks')).toMatch(/^SKIP /);
    expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(r.code).toBe(1);
  });

  test('aws.account other than the credentials\' account is a FAIL naming both', async () => {
    lab.writeConfig(sandboxRaw(policyId, (raw) => ((raw.events.syslogConfigId = 7), (raw.aws.account = '210987654321'))));
    const r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    expect(line(r.stdout, 'AWS credentials')).toMatch(/^FAIL  AWS credentials: they are for account 123456789012 .*but aws\.account is 210987654321/);
    expect(r.code).toBe(1);
  });

  test('--cloud aws ignores GCP: no gcp.project placeholder, no Terraform, no GCP call', async () => {
    lab.writeConfig(sandboxRaw(policyId, (raw) => ((raw.events.syslogConfigId = 7), (raw.gcp.project = 'my-project'))));
    const before = secrets.requests.length;
    const r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv({ PATH: '/usr/bin:/bin' }) });
    expect(r.stdout).not.toMatch(/gcp\.project|Terraform|GCP/);
    expect(secrets.requests.length).toBe(before);
    expect(r.code).toBe(0);
    // ... while --cloud gcp names it.
    const g = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv() });
    expect(line(g.stdout, 'no placeholder values')).toMatch(/^FAIL  no placeholder values: gcp\.project: "my-project" is a placeholder/);
  });

  test('Terraform missing or too old for the stack: a FAIL with what to install', async () => {
    let r = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv({ PATH: `${fakeTerraform(home, undefined)}:/usr/bin:/bin` }) });
    expect(line(r.stdout, 'Terraform for cdktf deploy')).toMatch(/^FAIL  Terraform for cdktf deploy: terraform is not on PATH: .* — fix: install Terraform 1\.4 or later/);
    expect(r.code).toBe(1);
    r = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv({ PATH: `${fakeTerraform(home, '1.3.9')}:/usr/bin:/bin` }) });
    expect(line(r.stdout, 'Terraform for cdktf deploy')).toMatch(/^FAIL .*terraform is 1\.3\.9; the stack requires >= 1\.4/);
  });

  test('GCP secret: missing, disabled latest version, the API off; the VMs\' access already granted or not grantable', async () => {
    secrets.secrets.clear();
    let r = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv() });
    expect(line(r.stdout, 'token secret (GCP)')).toMatch(/^FAIL  token secret \(GCP\): no secret "ds-eval-activation-token" in project dskit-lab-1234 — fix: .*gcloud secrets create ds-eval-activation-token/);
    expect(r.code).toBe(1);

    secrets.secrets.set(SECRET, { versions: ['ENABLED', 'DISABLED'], bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${VM_ACCOUNT}`] }] });
    r = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv() });
    expect(line(r.stdout, 'token secret (GCP)')).toMatch(/^FAIL .*the latest version of "ds-eval-activation-token" is DISABLED/);
    expect(line(r.stdout, 'VMs may read the token secret (GCP)')).toBe(`PASS  VMs may read the token secret (GCP): ${VM_ACCOUNT} has roles/secretmanager.secretAccessor on "ds-eval-activation-token" already`);

    secrets.secrets.set(SECRET, { versions: ['ENABLED'], bindings: [] });
    secrets.callerPermissions = new Set(['secretmanager.secrets.get']);
    r = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv() });
    expect(line(r.stdout, 'VMs may read the token secret (GCP)')).toMatch(/^FAIL .*you may not set the IAM policy of "ds-eval-activation-token", so the deploy cannot let .* read it — fix: /);

    secrets.serviceDisabled = true;
    r = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv() });
    expect(line(r.stdout, 'token secret (GCP)')).toBe('FAIL  token secret (GCP): the Secret Manager API is off in dskit-lab-1234 — fix: gcloud services enable secretmanager.googleapis.com --project dskit-lab-1234');
  });

  test('no Google credentials: one FAIL, the project checks SKIPped', async () => {
    const r = await lab.dskit(['preflight', '--cloud', 'gcp'], { env: cloudEnv({ GCE_METADATA_HOST: '', METADATA_SERVER_DETECTION: 'none' }) });
    expect(line(r.stdout, 'GCP credentials')).toMatch(/^FAIL  GCP credentials: Application Default Credentials .*: none found — fix: run `gcloud auth application-default login`/);
    expect(line(r.stdout, 'GCP project checks')).toMatch(/^SKIP /);
    expect(r.stderr).not.toMatch(/MetadataLookupWarning|Browse to/);
  });

  test('event forwarding: syslogConfigId 0 is a WARN naming the key; a policy forwarding elsewhere is a FAIL naming the modules', async () => {
    lab.writeConfig(sandboxRaw(policyId));
    let r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    expect(line(r.stdout, 'event forwarding')).toMatch(/^WARN  event forwarding: events\.syslogConfigId is 0: the sandbox policy will forward no events .* — fix: create a syslog configuration .*127\.0\.0\.1:514 \(UDP, CEF/);

    const other = lab.fake.addPolicy({ name: 'Windows Server', policySettings: { firewallSettingSyslogConfigId: { value: '7' }, antiMalwareSettingSyslogConfigId: { value: '3' } } });
    lab.writeConfig(sandboxRaw(other, (raw) => (raw.events.syslogConfigId = 7)));
    r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    expect(line(r.stdout, 'event forwarding')).toMatch(
      new RegExp(`^FAIL  event forwarding: policy ${other} "Windows Server" does not send 5 module\\(s\\) to syslog configuration 7 \\(antiMalware → 3, integrityMonitoring → none, .*\\) — fix: use the sandbox policy`),
    );
    expect(r.code).toBe(1);
  });

  test('placeholders, a missing policy and disallowed activation each FAIL on a line of its own', async () => {
    lab.fake.systemSettings.set('platformSettingAgentInitiatedActivationEnabled', 'Do not allow');
    lab.writeConfig(sandboxRaw(999, (raw) => ((raw.manager.tenantId = '00000000-0000-0000-0000-000000000000'), (raw.manager.url = 'https://dsm.example.com:4119'))));
    const r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv() });
    const placeholders = lines(r.stdout).filter((l) => l.startsWith('FAIL  no placeholder values'));
    expect(placeholders).toEqual([
      expect.stringMatching(/^FAIL  no placeholder values: manager\.tenantId: "0{8}-0{4}-0{4}-0{4}-0{12}" is a placeholder — fix: /),
      expect.stringMatching(/^FAIL  no placeholder values: manager\.url: "https:\/\/dsm\.example\.com:4119" is a placeholder — fix: set your manager host name$/),
    ]);
    expect(line(r.stdout, 'policy exists')).toMatch(/^FAIL  policy exists: no policy with id 999 — fix: /);
    expect(line(r.stdout, 'agent-initiated activation allowed')).toMatch(/^FAIL .*"Do not allow" — fix: .*For any computers/);
    expect(line(r.stdout, 'API key works')).toMatch(/^PASS /);
    expect(r.code).toBe(1);
  });

  test('no API key: FAIL naming the variable, manager checks SKIPped; a wrong key: the call and the message, never the key', async () => {
    let r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv({ DS_API_KEY: '' }) });
    expect(line(r.stdout, 'API key set')).toMatch(/^FAIL  API key set: DS_API_KEY is not set: export DS_API_KEY=/);
    expect(line(r.stdout, 'manager checks')).toMatch(/^SKIP /);
    r = await lab.dskit(['preflight', '--cloud', 'aws'], { env: cloudEnv({ DS_API_KEY: 'wrong-key-123456' }) });
    expect(line(r.stdout, 'API key works')).toMatch(/^FAIL  API key works: GET \/apikeys\/current failed: HTTP 401: Invalid API key\..* — fix: check DS_API_KEY/);
    expect(r.stdout + r.stderr).not.toContain('wrong-key-123456');
    expect(r.code).toBe(1);
  });

  test('a manager host that does not resolve: the fix is about the URL and DNS, not the key', async () => {
    const r = await lab.dskit(['--manager-url', 'https://dsm.dskit-test.invalid:4119', 'preflight', '--cloud', 'aws'], { env: cloudEnv() });
    const l = line(r.stdout, 'API key works');
    expect(l).toMatch(/^FAIL  API key works: .*cannot reach the manager: ENOTFOUND.* — fix: the manager's host name does not resolve: check --manager-url/);
    expect(l.split(' — fix: ')[1]).not.toMatch(/DS_API_KEY|API key/);
    expect(r.code).toBe(1);
  });

  test('--manager-url ending in /api: preflight FAILs with the base URL to give; other commands exit 2 with it', async () => {
    const url = `${lab.url}/api`;
    const r = await lab.dskit(['--manager-url', url, 'preflight', '--cloud', 'aws'], { env: { ...cloudEnv(), DS_API_KEY: API_KEY } });
    expect(line(r.stdout, 'manager URL')).toBe(`FAIL  manager URL: got "${url}"; that is the API's address: give the manager's base URL (${lab.url}), dskit adds /api itself`);
    const v = await lab.dskit(['--manager-url', url, 'verify']);
    expect(v.stderr).toContain(`dskit: --manager-url: got "${url}"; that is the API's address: give the manager's base URL (${lab.url})`);
    expect(v.code).toBe(2);
  });
});
