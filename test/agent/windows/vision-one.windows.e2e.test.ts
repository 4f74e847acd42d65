/**
 * manager.type vision-one on Windows, for real under pwsh (the PowerShell harness): the rendered
 * script renames the computer to its display name and restarts; after the "restart" it downloads the
 * stand-in Agent Installer package (a `.zip` with EndpointBasecamp.exe) with the VM's identity,
 * checks its SHA-256 and the installer's Authenticode signature, runs it silently, and waits for the
 * agent's agent-initiated activation against the Server & Workload Protection double, whose
 * event-based task (made by `dskit policy ensure`) assigns the policy by the computer's name;
 * `dskit verify` then finds it. Needs root and pwsh; skips loudly outside CI, never under CI=true.
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { findVm, renderBootScript } from '../../../lib/agent';
import { fileSha256 } from '../../../lib/agent/installers';
import { parseConfig, type SandboxConfig } from '../../../lib/config';
import { exampleRaw } from '../../helpers/config';
import { AWS_INSTALLER_BUCKET, AWS_REGION, GCP_INSTALLER_BUCKET, makeTls, MANAGER_HOST, WAIT_HANDLE_HOST } from '../support/assets';
import { writeZip } from '../support/installers';
import { REPO_ROOT } from '../support/rootfs';
import { windowsSkipReason } from './support/pwsh';
import { TREND_SIGNER } from './support/stand-in-msi';
import { WindowsBootScriptCase, type WindowsTls } from './support/windows-harness';

const skipReason = windowsSkipReason({ root: true });
if (skipReason) console.warn(`\n*** SKIPPING the Windows vision-one end-to-end tests: ${skipReason}. Under CI=true they run. ***\n`);
const describeE2e = skipReason ? describe.skip : describe;

jest.setTimeout(300_000);

const API_KEY = '2:dskit-e2e-swp-key-0000000000000000000000000000';
const REGISTRATION_TOKEN = 'dskit-e2e-registration-win-4c1d8e2a9b7f';
const FAST = { DSKIT_ATTEMPTS: '3', DSKIT_BACKOFF_CAP: '2', DSKIT_POLL_SECONDS: '1' };

let tls: WindowsTls;
let work: string;
let pkg: string;

/** The stand-in EndpointBasecamp.exe, signed the way the stand-in Get-AuthenticodeSignature checks. */
function signedBasecamp(): string {
  const payload = fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/windows-stand-ins/installer/EndpointBasecamp.exe'), 'utf8');
  const signature = createHmac('sha256', 'dskit stand-in code signing').update(`${payload}\n${TREND_SIGNER}`).digest('hex');
  return `${payload}# dskit-stand-in-signer: ${TREND_SIGNER}\n# dskit-stand-in-signature: ${signature}\n`;
}

beforeAll(() => {
  if (skipReason) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-v1-win-e2e-'));
  tls = makeTls(work);
  pkg = writeZip(path.join(work, 'TMServerAgent_Windows_auto_64_Server_-_Workload_Protection_Manager.zip'), {
    'EndpointBasecamp.exe': { data: signedBasecamp(), mode: 0o755 },
    'registration.json': { data: `${JSON.stringify({ manager: `${MANAGER_HOST}:4120`, registrationToken: REGISTRATION_TOKEN })}\n` },
  });
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function sandbox(cloud: 'aws' | 'gcp', dir: string): SandboxConfig {
  const raw = exampleRaw();
  raw.manager = { type: 'vision-one', region: 'us-1', installers: { windows: pkg } };
  raw.policy = { id: 9 };
  raw[cloud].vms = [{ name: 'win', os: 'windows-2022', count: 1 }];
  if (cloud === 'gcp') raw.gcp.project = 'dskit-e2e-project';
  else raw.aws.region = AWS_REGION;
  delete raw[cloud === 'aws' ? 'gcp' : 'aws'];
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'sandbox.yaml'), stringify(raw));
  return parseConfig(stringify(raw), path.join(dir, 'sandbox.yaml'));
}

function script(config: SandboxConfig, cloud: 'aws' | 'gcp'): string {
  const object = `${fileSha256(pkg)}.zip`;
  const params =
    cloud === 'aws'
      ? ({ cloud, region: AWS_REGION, waitHandleUrl: `https://${WAIT_HANDLE_HOST}/arn%3Aaws%3Acloudformation/handle?X-Amz-Signature=abc`, logGroupName: '/dskit/ds-eval/ds-events', installer: { bucket: AWS_INSTALLER_BUCKET, object } } as const)
      : ({ cloud, project: 'dskit-e2e-project', logName: 'ds-events', installer: { bucket: GCP_INSTALLER_BUCKET, object } } as const);
  return renderBootScript(config, findVm(config, cloud, 'win'), 1, params).script;
}

describeE2e.each(['gcp', 'aws'] as const)('%s Windows: rename and restart, Agent Installer, policy by event-based task', (cloud) => {
  let c: WindowsBootScriptCase;
  let dir: string;
  let config: SandboxConfig;
  const runs: Awaited<ReturnType<WindowsBootScriptCase['run']>>[] = [];
  let verify: ReturnType<WindowsBootScriptCase['cli']>;
  let outcomesAfterFirst: number;
  let downloadsAfterFirst: number;

  beforeAll(async () => {
    dir = path.join(work, `${cloud}-project`);
    config = sandbox(cloud, dir);
    c = new WindowsBootScriptCase({
      tls,
      token: 'unused-no-token-on-this-path',
      packageFile: pkg,
      managerUpAfterMs: 0,
      visionOne: {
        installerFile: pkg,
        installerObject: `${fileSha256(pkg)}.zip`,
        awsBucket: AWS_INSTALLER_BUCKET,
        gcpBucket: GCP_INSTALLER_BUCKET,
        deniedReads: 1,
        apiKey: API_KEY,
        policies: [{ ID: 9, name: 'Windows Server' }],
        registrationToken: REGISTRATION_TOKEN,
      },
    });
    await c.start();
    const ensure = c.cli(['--manager-url', c.managerApiUrl, 'policy', 'ensure'], dir, { DS_API_KEY: API_KEY });
    if (ensure.code !== 0) throw new Error(`policy ensure: ${ensure.stderr}${ensure.stdout}`);
    runs.push(await c.run(script(config, cloud), FAST));
    outcomesAfterFirst = c.ofType('wait-condition').length + c.ofType('guest-attribute').length;
    downloadsAfterFirst = c.ofType('installer-download').length;
    runs.push(await c.run(script(config, cloud), FAST)); // after the restart
    if (process.env.DSKIT_E2E_DEBUG) console.log(runs.map((r) => r.output).join('\n----\n'));
    verify = c.cli(['--manager-url', c.managerApiUrl, '--json', 'verify'], dir, { DS_API_KEY: API_KEY });
    runs.push(await c.run(script(config, cloud), FAST)); // a later boot
  });
  afterAll(() => c?.stop());

  test('the first run renames the computer to its display name and restarts it, reporting nothing yet', () => {
    expect(runs[0].code).toBe(0);
    expect(c.standInCalls('Rename-Computer')).toEqual([expect.objectContaining({ newName: `ds-eval-${cloud}-win-1`, force: true })]);
    expect(c.standInCalls('Restart-Computer')).toHaveLength(1);
    expect(outcomesAfterFirst).toBe(0);
    expect(downloadsAfterFirst).toBe(0);
  });

  test('after the restart: the package downloaded with the VM\'s identity, its digest and signature checked, the installer run silently', () => {
    expect(runs[1].code).toBe(0);
    expect(c.ofType('installer-denied')).toHaveLength(1);
    expect(c.ofType('installer-download')).toEqual([expect.objectContaining({ cloud })]);
    if (cloud === 'aws') expect(c.ofType('sigv4').filter((e) => e.service === 's3').every((e) => e.ok)).toBe(true);
    expect(c.standInCalls('Get-AuthenticodeSignature')).toEqual([expect.objectContaining({ status: 'Valid' })]);
    expect(c.standInCalls('EndpointBasecamp.exe')).toEqual([{ command: 'EndpointBasecamp.exe', args: ['/s', '/v/qn'] }]);
    const log = c.readFile('ProgramData/dskit/dskit-agent.log');
    expect(log).toContain(`SHA-256 ${fileSha256(pkg)} as deployed`);
    expect(log).toMatch(/signature verified: Authenticode of EndpointBasecamp\.exe, signer CN="Trend Micro, Inc\."/);
  });

  test('the agent registers by the new name, the task gives it the policy, the outcome says activated, and verify agrees', () => {
    const [aia] = c.ofType('aia');
    expect(aia.computer).toMatchObject({ hostName: `ds-eval-${cloud}-win-1`, policyID: 9 });
    if (cloud === 'aws') expect(c.ofType('wait-condition')[0].signal).toMatchObject({ Status: 'SUCCESS', UniqueId: 'ds-eval-aws-win-1', Reason: expect.stringMatching(/^activated/) });
    else expect(c.ofType('guest-attribute').find((e) => e.key === 'dskit/status')?.value).toMatch(/^activated/);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout).data.computers).toEqual([expect.objectContaining({ displayName: `ds-eval-${cloud}-win-1`, foundPolicyId: 9, status: 'ok' })]);
  });

  test('a later boot leaves the agent alone, and the registration data is in no script or output', () => {
    expect(runs[2].code).toBe(0);
    expect(c.ofType('installer-download')).toHaveLength(1);
    expect(c.readFile('ProgramData/dskit/dskit-agent.log')).toContain('the agent is already activated; leaving it alone (no new installation)');
    expect(script(config, cloud)).not.toContain(REGISTRATION_TOKEN);
    for (const r of runs) expect(r.output).not.toContain(REGISTRATION_TOKEN);
  });
});
