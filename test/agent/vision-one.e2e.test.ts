/**
 * manager.type vision-one end to end, for real (SPEC §7, issue 16): the rendered Linux boot script
 * runs as root in the Debian 12 root filesystem; it downloads a stand-in Agent Installer package (a
 * `.tar` whose `tmxbc` installs the stand-in agent) from the cloud's storage double with the VM's
 * identity (S3 with the script's own SigV4, Cloud Storage with the metadata token), checks its
 * SHA-256, runs `tmxbc install`, and waits for the agent's agent-initiated activation against a
 * Server & Workload Protection double, whose event-based task — created by `dskit policy ensure`
 * run as a user would — assigns the policy by host name. Then `dskit verify` finds the computer by
 * that host name, and `dskit teardown --manager-only` removes it and the task.
 * Needs root, debootstrap and the Debian mirror on first run; skips loudly outside CI, never under CI=true.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { findVm, renderBootScript } from '../../lib/agent';
import { fileSha256 } from '../../lib/agent/installers';
import { parseConfig, type SandboxConfig } from '../../lib/config';
import { exampleRaw } from '../helpers/config';
import { AWS_INSTALLER_BUCKET, AWS_REGION, GCP_INSTALLER_BUCKET, MANAGER_HOST, WAIT_HANDLE_HOST, buildAssets, type TestAssets } from './support/assets';
import { BootScriptCase, e2eSkipReason, type RunResult } from './support/harness';
import { buildLinuxInstaller } from './support/installers';

const skipReason = e2eSkipReason();
if (skipReason) console.warn(`\n*** SKIPPING the vision-one end-to-end tests: ${skipReason}. Under CI=true they run. ***\n`);
const describeE2e = skipReason ? describe.skip : describe;

jest.setTimeout(300_000);

const API_KEY = '2:dskit-e2e-swp-key-0000000000000000000000000000';
const REGISTRATION_TOKEN = 'dskit-e2e-registration-7f3a9c1e5b2d4a6f8e0c';
const POLICY = { ID: 9, name: 'Linux Server' };
const FAST = { DSKIT_ATTEMPTS: '3', DSKIT_BACKOFF_CAP: '2', DSKIT_POLL_SECONDS: '1' };

let assets: TestAssets;
let work: string;
let installer: string;

beforeAll(() => {
  if (skipReason) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-v1-e2e-'));
  assets = buildAssets(path.join(work, 'assets'));
  installer = buildLinuxInstaller(work, { manager: `${MANAGER_HOST}:4120`, registrationToken: REGISTRATION_TOKEN });
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A sandbox.yaml of one Debian 12 VM on `cloud`, written where the CLI runs (dskit.context.json goes there too). */
function sandbox(cloud: 'aws' | 'gcp', dir: string): { config: SandboxConfig; file: string } {
  const raw = exampleRaw();
  raw.manager = { type: 'vision-one', region: 'us-1', installers: { linux: { x86_64: installer } } };
  raw.policy = { id: POLICY.ID };
  raw[cloud].vms = [{ name: 'web', os: 'debian-12', count: 1 }];
  if (cloud === 'gcp') raw.gcp.project = 'dskit-e2e-project';
  else raw.aws.region = AWS_REGION;
  delete raw[cloud === 'aws' ? 'gcp' : 'aws'];
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sandbox.yaml');
  fs.writeFileSync(file, stringify(raw));
  return { config: parseConfig(stringify(raw), file), file };
}

function script(config: SandboxConfig, cloud: 'aws' | 'gcp'): string {
  const vm = findVm(config, cloud, 'web');
  const object = `${fileSha256(installer)}.tar`;
  const params =
    cloud === 'aws'
      ? ({ cloud, region: AWS_REGION, waitHandleUrl: `https://${WAIT_HANDLE_HOST}/arn%3Aaws%3Acloudformation/handle?X-Amz-Signature=abc`, logGroupName: '/dskit/ds-eval/ds-events', installer: { bucket: AWS_INSTALLER_BUCKET, object } } as const)
      : ({ cloud, project: 'dskit-e2e-project', logName: 'ds-events', installer: { bucket: GCP_INSTALLER_BUCKET, object } } as const);
  return renderBootScript(config, vm, 1, params).script;
}

const visionOne = (servedFile = installer, deniedReads = 0) => ({
  installerFile: servedFile,
  installerObject: `${fileSha256(installer)}.tar`,
  awsBucket: AWS_INSTALLER_BUCKET,
  gcpBucket: GCP_INSTALLER_BUCKET,
  deniedReads,
  apiKey: API_KEY,
  policies: [POLICY, { ID: 1, name: 'Base Policy' }],
  registrationToken: REGISTRATION_TOKEN,
});

describeE2e.each(['gcp', 'aws'] as const)('%s: Agent Installer, policy by event-based task, verify, teardown', (cloud) => {
  let c: BootScriptCase;
  let dir: string;
  let config: SandboxConfig;
  let ensure: ReturnType<BootScriptCase['cli']>;
  let recordedAfterEnsure: unknown;
  let first: RunResult;
  let verify: ReturnType<BootScriptCase['cli']>;
  let second: RunResult;
  let teardown: ReturnType<BootScriptCase['cli']>;
  let verifyAfter: ReturnType<BootScriptCase['cli']>;
  const env = () => ({ DS_API_KEY: API_KEY });
  const flags = () => ['--manager-url', c.managerApiUrl];

  beforeAll(async () => {
    dir = path.join(work, `${cloud}-project`);
    ({ config } = sandbox(cloud, dir));
    // The package's first reads are refused, as while the deploy's grant propagates.
    c = new BootScriptCase({ assets, token: 'unused-no-token-on-this-path', packageFile: assets.signedDeb, managerUpAfterMs: 0, visionOne: visionOne(installer, 2) });
    await c.start();
    ensure = c.cli([...flags(), 'policy', 'ensure'], dir, env());
    recordedAfterEnsure = JSON.parse(fs.readFileSync(path.join(dir, 'dskit.context.json'), 'utf8')).changes['ds-eval'];
    first = await c.run(script(config, cloud), FAST);
    if (process.env.DSKIT_E2E_DEBUG) console.log(first.output);
    verify = c.cli([...flags(), '--json', 'verify'], dir, env());
    second = await c.run(script(config, cloud), FAST);
    teardown = c.cli([...flags(), 'teardown', '--manager-only', '--yes'], dir, env());
    verifyAfter = c.cli([...flags(), 'verify'], dir, env());
  });
  afterAll(() => c?.stop());

  test('policy ensure creates the agent-initiated activation task that assigns the policy by host name, and records it', () => {
    expect(ensure.stderr).toBe('');
    expect(ensure.code).toBe(0);
    expect(ensure.stdout).toMatch(new RegExp(`event-based task dskit-ds-eval-policy-9 \\(id \\d+\\): created; on agent-initiated activation of ds-eval-${cloud}-web-<n>`));
    expect(recordedAfterEnsure).toEqual([expect.objectContaining({ kind: 'event-based-task-created', name: 'dskit-ds-eval-policy-9' })]);
  });

  test('the script sets the host name, downloads the package with the VM\'s identity after the refusals, checks its SHA-256 and runs tmxbc install', () => {
    expect(first.code).toBe(0);
    expect(c.readFile('etc/hostname').trim()).toBe(`ds-eval-${cloud}-web-1`);
    expect(c.ofType('installer-denied')).toHaveLength(2);
    expect(c.ofType('installer-download')).toEqual([expect.objectContaining({ cloud })]);
    const log = c.readFile('var/log/dskit-agent.log');
    expect(log).toContain(`Agent Installer package downloaded (${fs.statSync(installer).size} bytes), SHA-256 ${fileSha256(installer)} as deployed`);
    expect(log).toMatch(/downloading the Agent Installer package, attempt 1: .*HTTP 403.*; retrying/);
    expect(log).toContain('running the Agent Installer: tmxbc install');
    expect(c.exists('opt/TrendMicro/EndpointBasecamp/bin/tmxbc')).toBe(true);
    if (cloud === 'aws') {
      const s3 = c.ofType('sigv4').filter((e) => e.service === 's3');
      expect(s3.length).toBe(3);
      expect(s3.every((e) => e.ok)).toBe(true);
    } else {
      const reads = c.ofType('request').filter((e) => e.host === 'storage.googleapis.com');
      expect(reads[0].headers.authorization).toBe('Bearer ya29.fake-access-token');
    }
  });

  test('the agent registers itself by host name, the task gives it the policy, and the outcome says activated', () => {
    const [aia] = c.ofType('aia');
    expect(aia.hostName).toBe(`ds-eval-${cloud}-web-1`);
    expect(aia.platform).toMatch(/^Debian GNU\/Linux 12/);
    expect(aia.computer).toMatchObject({ hostName: `ds-eval-${cloud}-web-1`, displayName: '', policyID: POLICY.ID });
    if (cloud === 'aws') {
      const [signal] = c.ofType('wait-condition');
      expect(signal.signal).toMatchObject({ Status: 'SUCCESS', UniqueId: 'ds-eval-aws-web-1' });
      expect(signal.signal.Reason).toMatch(/^activated/);
    } else {
      expect(c.ofType('guest-attribute').find((e) => e.key === 'dskit/status')?.value).toMatch(/^activated/);
    }
  });

  test('verify finds the computer by its host name, active, on the policy, and the task as wanted', () => {
    expect(verify.code).toBe(0);
    const { ok, data: result } = JSON.parse(verify.stdout);
    expect(ok).toBe(true);
    expect(result.computers).toEqual([expect.objectContaining({ displayName: `ds-eval-${cloud}-web-1`, foundPolicyId: POLICY.ID, status: 'ok' })]);
    expect(result.eventBasedTasks).toEqual([{ name: 'dskit-ds-eval-policy-9', id: expect.any(Number), problems: [] }]);
  });

  test('a re-run leaves the activated agent alone: no new download, installation or registration', () => {
    expect(second.code).toBe(0);
    expect(c.ofType('installer-download')).toHaveLength(1);
    expect(c.ofType('aia')).toHaveLength(1);
    expect(c.readFile('var/log/dskit-agent.log')).toContain('the agent is already activated; leaving it alone (no new installation)');
  });

  test('teardown deletes the computer and the task, and forgets the record; verify then finds the computer missing', () => {
    expect(teardown.code).toBe(0);
    expect(teardown.stderr).toMatch(new RegExp(`deleted computer ds-eval-${cloud}-web-1 \\(id \\d+\\)`));
    expect(teardown.stderr).toMatch(/delete event-based task "dskit-ds-eval-policy-9" \(id \d+\), created by dskit policy ensure: done/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'dskit.context.json'), 'utf8')).changes?.['ds-eval']).toBeUndefined();
    expect(verifyAfter.code).toBe(1);
    expect(verifyAfter.stdout).toMatch(/missing/);
    expect(verifyAfter.stdout).toMatch(/event-based task dskit-ds-eval-policy-9: missing: run `npx dskit policy ensure`/);
  });

  test('the package\'s registration data is in no script, log or process line of the run', () => {
    expect(script(config, cloud)).not.toContain(REGISTRATION_TOKEN);
    expect(first.output).not.toContain(REGISTRATION_TOKEN);
    expect(c.readFile('var/log/dskit-agent.log')).not.toContain(REGISTRATION_TOKEN);
  });
});

describeE2e('a package that is not the one deployed is refused before it is unpacked', () => {
  let c: BootScriptCase;
  let run: RunResult;

  beforeAll(async () => {
    const other = buildLinuxInstaller(fs.mkdtempSync(path.join(work, 'other-')), { manager: `${MANAGER_HOST}:4120`, registrationToken: 'someone-elses-tenant' });
    const dir = path.join(work, 'tampered-project');
    const { config } = sandbox('gcp', dir);
    c = new BootScriptCase({ assets, token: 'unused-no-token-on-this-path', packageFile: assets.signedDeb, managerUpAfterMs: 0, visionOne: visionOne(other) });
    await c.start();
    run = await c.run(script(config, 'gcp'), FAST);
  });
  afterAll(() => c?.stop());

  test('FAILURE names both digests; nothing was unpacked, installed or registered', () => {
    expect(run.code).toBe(1);
    const status = c.ofType('guest-attribute').find((e) => e.key === 'dskit/status')?.value as string;
    expect(status).toMatch(new RegExp(`^failed: the downloaded Agent Installer package has SHA-256 [0-9a-f]{64}, not the ${fileSha256(installer)} it was deployed with; refusing to unpack it`));
    expect(c.exists('var/lib/dskit/agent-installer')).toBe(false);
    expect(c.exists('opt/ds_agent')).toBe(false);
    expect(c.ofType('aia')).toEqual([]);
  });
});
