/**
 * The leftover listers, unchanged, against local doubles of the real APIs (test/cloud/doubles.ts):
 * what they find (by tag/label and by name), that they page, and that a failed listing is an
 * error that says why and what to do — never an empty list.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { GCP_ASSET_ENDPOINT_ENV, LeftoverCheckError, listAwsLeftovers, type Leftover } from '../../lib/cloud';
import { parseConfig } from '../../lib/config';
import { REPO_ROOT } from '../helpers/cli';
import { exampleRaw } from '../helpers/config';
import { AWS_KEY_ID, FakeAws, FakeGcp } from './doubles';

const rawConfig = exampleRaw();
Object.assign(rawConfig, { name: 'ds-eval' });
rawConfig.aws.region = 'ap-northeast-1';
rawConfig.gcp.project = 'dskit-lab-1234';
rawConfig.manager.activationTokenSecret = 'ds-eval-activation-token';
const config = parseConfig(stringify(rawConfig), 'test.yaml');

const saved = { ...process.env };
let home: string;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-home-'));
  // Nothing from this machine's own cloud setup: no profiles, no gcloud ADC, no instance metadata.
  // This machine's cloud settings out (the SDK's own warning switch, test/setup, stays).
  for (const k of Object.keys(process.env)) if (/^(AWS_|GOOGLE_|GCE_|CLOUDSDK_|METADATA_SERVER)/.test(k) && !/^AWS_SDK_JS_/.test(k)) delete process.env[k];
  Object.assign(process.env, {
    HOME: home,
    CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
    AWS_CONFIG_FILE: path.join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});
afterAll(() => {
  process.env = saved;
  fs.rmSync(home, { recursive: true, force: true });
});

/**
 * google-auth-library's HTTP client (gaxios) loads its fetch with a dynamic import(), which jest's
 * module sandbox refuses; so the GCP lister runs in a child process, as it does under the CLI.
 */
function listGcpInChild(): Promise<Leftover[]> {
  const configFile = path.join(home, 'sandbox.yaml');
  fs.writeFileSync(configFile, stringify(rawConfig));
  const script = `
    const { loadConfig } = require('./lib/config');
    const { listGcpLeftovers } = require('./lib/cloud');
    listGcpLeftovers(loadConfig({ configPath: process.argv[1] }).config, process.env).then(
      (found) => process.stdout.write(JSON.stringify({ found })),
      (err) => process.stdout.write(JSON.stringify({ error: { name: err.name, message: err.message, next: err.next } })),
    );`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script, configFile], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', () => {
      const r = JSON.parse(out);
      if (r.error) reject(Object.assign(new LeftoverCheckError('gcp', r.error.message, r.error.next), { name: r.error.name }));
      else resolve(r.found);
    });
  });
}

async function caught(p: Promise<unknown>): Promise<LeftoverCheckError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LeftoverCheckError);
    return err as LeftoverCheckError;
  }
  throw new Error('expected the listing to fail');
}

describe('AWS: Resource Groups Tagging API by tag, CloudFormation by name', () => {
  let aws: FakeAws;
  beforeAll(async () => {
    aws = new FakeAws('ap-northeast-1');
    process.env.AWS_ENDPOINT_URL = await aws.start();
    process.env.AWS_ACCESS_KEY_ID = AWS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL;
    await aws.stop();
  });
  beforeEach(() => {
    aws.requests.length = 0;
    aws.failTagging = undefined;
    aws.stacks.clear();
    aws.tagged = [
      { arn: 'arn:aws:s3:::ds-eval-events-1', tags: { 'dskit-sandbox': 'ds-eval' } },
      { arn: 'arn:aws:ec2:ap-northeast-1:123456789012:vpc/vpc-1', tags: { 'dskit-sandbox': 'ds-eval', owner: 'x' } },
      { arn: 'arn:aws:logs:ap-northeast-1:123456789012:log-group:/dskit/ds-eval/ds-events', tags: { 'dskit-sandbox': 'ds-eval' } },
      { arn: 'arn:aws:s3:::ds-evalx-events-1', tags: { 'dskit-sandbox': 'ds-evalx' } },
      { arn: 'arn:aws:s3:::unrelated', tags: {} },
    ];
  });

  test('every tagged resource across pages, and a stack that failed to delete; nothing of another sandbox', async () => {
    aws.stacks.set('ds-eval-aws', 'DELETE_FAILED');
    const found = await listAwsLeftovers(config);
    expect(found.map((l) => [l.id, l.type, l.foundBy])).toEqual([
      ['arn:aws:s3:::ds-eval-events-1', 's3', 'tag'],
      ['arn:aws:ec2:ap-northeast-1:123456789012:vpc/vpc-1', 'ec2', 'tag'],
      ['arn:aws:logs:ap-northeast-1:123456789012:log-group:/dskit/ds-eval/ds-events', 'logs', 'tag'],
      [expect.stringMatching(/^arn:aws:cloudformation:ap-northeast-1:123456789012:stack\/ds-eval-aws\//), 'cloudformation stack (DELETE_FAILED)', 'name'],
    ]);
    const tagging = aws.requests.filter((r) => r.service === 'tagging');
    expect(tagging).toHaveLength(2); // paged
    expect(tagging[0].body).toEqual({ TagFilters: [{ Key: 'dskit-sandbox', Values: ['ds-eval'] }], ResourcesPerPage: 100 });
    expect((tagging[1].body as any).PaginationToken).toEqual(expect.any(String));
    expect(aws.requests.filter((r) => r.service === 'cloudformation').map((r) => r.body)).toEqual([
      { Action: 'DescribeStacks', Version: '2010-05-15', StackName: 'ds-eval-aws' },
    ]);
  });

  test('a stack that is gone ("does not exist") is not a leftover', async () => {
    aws.tagged = [];
    expect(await listAwsLeftovers(config)).toEqual([]);
  });

  test('AccessDenied: an error with the permission to grant, not an empty list', async () => {
    aws.failTagging = { status: 400, type: 'AccessDeniedException', message: 'User: arn:aws:iam::123456789012:user/eve is not authorized to perform: tag:GetResources' };
    const err = await caught(listAwsLeftovers(config));
    expect(err.message).toBe('AccessDeniedException: User: arn:aws:iam::123456789012:user/eve is not authorized to perform: tag:GetResources');
    expect(err.next).toMatch(/credentials allowed tag:GetResources in ap-northeast-1/);
  });

  test('credentials of another key: the service rejects them, and the error says so', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAOTHERKEY00000000';
    try {
      const err = await caught(listAwsLeftovers(config));
      expect(err.message).toMatch(/^UnrecognizedClientException: The security token included in the request is invalid/);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = AWS_KEY_ID;
    }
  });

  test('no credentials at all: "no AWS credentials" with how to get some', async () => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } = process.env;
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      const err = await caught(listAwsLeftovers(config));
      expect(err.message).toMatch(/^no AWS credentials: /);
      expect(err.next).toMatch(/AWS_PROFILE|aws sso login/);
    } finally {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY });
    }
    expect(aws.requests).toEqual([]);
  });
});

describe('GCP: Cloud Asset Inventory by label and by name', () => {
  let gcp: FakeGcp;
  const net = '//compute.googleapis.com/projects/dskit-lab-1234/global';
  beforeAll(async () => {
    gcp = new FakeGcp('dskit-lab-1234');
    const url = await gcp.start();
    process.env.GCE_METADATA_HOST = url.replace(/^http:\/\//, '');
    process.env[GCP_ASSET_ENDPOINT_ENV] = `${url}/`;
  });
  afterAll(() => gcp.stop());
  beforeEach(() => {
    gcp.requests.length = 0;
    gcp.failSearch = undefined;
    gcp.assets = [
      { name: '//compute.googleapis.com/projects/dskit-lab-1234/zones/asia-northeast1-a/instances/ds-eval-gcp-web-1', assetType: 'compute.googleapis.com/Instance', labels: { 'dskit-sandbox': 'ds-eval' } },
      { name: `${net}/networks/ds-eval-net`, assetType: 'compute.googleapis.com/Network' },
      { name: `${net}/firewalls/ds-eval-allow-iap`, assetType: 'compute.googleapis.com/Firewall' },
      { name: '//iam.googleapis.com/projects/dskit-lab-1234/serviceAccounts/dskit-ds-eval-vm@dskit-lab-1234.iam.gserviceaccount.com', assetType: 'iam.googleapis.com/ServiceAccount' },
      { name: '//bigquery.googleapis.com/projects/dskit-lab-1234/datasets/dskit_ds_eval_events', assetType: 'bigquery.googleapis.com/Dataset' },
      { name: '//logging.googleapis.com/projects/dskit-lab-1234/sinks/ds-eval-events', assetType: 'logging.googleapis.com/LogSink' },
      // Not leftovers: the user's own token secret, another sandbox's (labelled) network, a name that only contains the words.
      { name: '//secretmanager.googleapis.com/projects/123456789/secrets/ds-eval-activation-token', assetType: 'secretmanager.googleapis.com/Secret' },
      { name: `${net}/networks/ds-eval-net-2`, assetType: 'compute.googleapis.com/Network', labels: { 'dskit-sandbox': 'other' } },
      { name: `${net}/networks/my-ds-eval-copy`, assetType: 'compute.googleapis.com/Network' },
      { name: `${net}/networks/ds-evalx-net`, assetType: 'compute.googleapis.com/Network' },
    ];
  });

  test('labelled and unlabelled resources of the sandbox, across pages; look-alikes and the user\'s secret left out', async () => {
    const found = await listGcpInChild();
    expect(found.map((l) => [l.id.replace(/^\/\/[^/]+\/projects\/[^/]+\//, ''), l.foundBy]).sort()).toEqual(
      [
        ['datasets/dskit_ds_eval_events', 'name'],
        ['global/firewalls/ds-eval-allow-iap', 'name'],
        ['global/networks/ds-eval-net', 'name'],
        ['serviceAccounts/dskit-ds-eval-vm@dskit-lab-1234.iam.gserviceaccount.com', 'name'],
        ['sinks/ds-eval-events', 'name'],
        ['zones/asia-northeast1-a/instances/ds-eval-gcp-web-1', 'tag'],
      ].sort(),
    );
    const queries = gcp.requests.map((r) => (r.body as any).query);
    expect(new Set(queries)).toEqual(new Set(['labels.dskit-sandbox=ds-eval', 'name:ds-eval', 'name:dskit_ds_eval_*']));
    expect(queries.filter((q) => q === 'name:ds-eval').length).toBeGreaterThan(1); // paged
    expect(gcp.requests.every((r) => (r.body as any).pageSize === '500')).toBe(true);
  });

  test('the Cloud Asset API off: says so, and how to enable it', async () => {
    gcp.failSearch = {
      code: 403,
      status: 'PERMISSION_DENIED',
      reason: 'SERVICE_DISABLED',
      message: 'Cloud Asset API has not been used in project 123456789 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/cloudasset.googleapis.com/overview?project=123456789 then retry.',
    };
    const err = await caught(listGcpInChild());
    expect(err.message).toMatch(/^the Cloud Asset API is off: Cloud Asset API has not been used in project 123456789/);
    expect(err.next).toMatch(/gcloud services enable cloudasset\.googleapis\.com --project dskit-lab-1234/);
  });

  test('no permission on the project: the role to grant', async () => {
    gcp.failSearch = { code: 403, status: 'PERMISSION_DENIED', message: 'The caller does not have permission' };
    const err = await caught(listGcpInChild());
    expect(err.message).toBe('HTTP 403 PERMISSION_DENIED: The caller does not have permission');
    expect(err.next).toMatch(/roles\/cloudasset\.viewer on project dskit-lab-1234/);
  });

  test('no credentials at all: "no Google credentials" with how to get some', async () => {
    const host = process.env.GCE_METADATA_HOST;
    delete process.env.GCE_METADATA_HOST;
    process.env.METADATA_SERVER_DETECTION = 'none';
    try {
      const err = await caught(listGcpInChild());
      expect(err.message).toMatch(/^no Google credentials: /);
      expect(err.next).toMatch(/gcloud auth application-default login/);
    } finally {
      process.env.GCE_METADATA_HOST = host;
      delete process.env.METADATA_SERVER_DETECTION;
    }
  });
});
