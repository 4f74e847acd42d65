/**
 * The Pester tests of test/agent/windows (*.Tests.ps1), run in pwsh with Pester from NuGet: the
 * Windows PowerShell 5.1 gate over both clouds' rendered scripts (and its planted traps), and the
 * shared script's functions one at a time. Each Pester test is reported as a jest test.
 * Outside CI it skips loudly when pwsh or Pester is missing; under CI=true it always runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findVm, renderBootScript } from '../../../lib/agent';
import { configWith } from '../../helpers/config';
import { standInInstallers, visionOneConfig } from '../../helpers/vision-one';
import { STAND_INS, userDataPowerShell } from './support/windows-harness';
import { PESTER_MANIFEST, pwshPath, windowsSkipReason } from './support/pwsh';

const skipReason = windowsSkipReason({ pester: true });
if (skipReason) console.warn(`\n*** SKIPPING the Pester tests of the Windows boot scripts (5.1 gate, functions): ${skipReason}. Under CI=true they run. ***\n`);

interface PesterResult {
  readonly name: string;
  readonly result: string;
  readonly error: string;
}

/** Both clouds' Windows scripts as the VMs get them (AWS: also the readable body), with a proxy and groups so every branch renders. */
function renderScripts(dir: string): void {
  const config = configWith((raw) => {
    raw.manager.proxy = 'http://proxy.example.com:3128';
    raw.policy = { id: 9, groupId: 3, relayGroupId: 4 };
  });
  const aws = renderBootScript(config, findVm(config, 'aws', 'win'), 1, {
    cloud: 'aws',
    region: 'ap-northeast-1',
    waitHandleUrl: 'https://cloudformation-waitcondition-ap-northeast-1.s3.amazonaws.com/handle?X-Amz-Signature=abc',
    logGroupName: '/dskit/ds-eval/ds-events',
  });
  const gcp = renderBootScript(config, findVm(config, 'gcp', 'win'), 1, { cloud: 'gcp', project: 'my-project', logName: 'ds-events' });
  fs.writeFileSync(path.join(dir, 'aws-user-data.ps1'), userDataPowerShell(aws.script));
  fs.writeFileSync(path.join(dir, 'aws-readable.ps1'), userDataPowerShell(aws.readable));
  fs.writeFileSync(path.join(dir, 'gcp-startup-script.ps1'), gcp.script);
  // What the AWS user data unpacks and runs.
  const packed = /\$DskitBody = '([A-Za-z0-9+/=]+)'/.exec(aws.script)![1];
  fs.writeFileSync(path.join(dir, 'aws-unpacked-body.ps1'), require('node:zlib').gunzipSync(Buffer.from(packed, 'base64')));
  // The Agent Installer path (vision-one) on both clouds.
  const pkgs = standInInstallers();
  try {
    const v1 = visionOneConfig(pkgs);
    const installer = { bucket: 'installer-bucket', object: 'x.zip' };
    const v1aws = renderBootScript(v1, findVm(v1, 'aws', 'win'), 1, { cloud: 'aws', region: 'ap-northeast-1', waitHandleUrl: 'https://h.invalid/', logGroupName: '/x', installer });
    fs.writeFileSync(path.join(dir, 'vision-one-aws-readable.ps1'), userDataPowerShell(v1aws.readable));
    fs.writeFileSync(path.join(dir, 'vision-one-gcp-startup-script.ps1'), renderBootScript(v1, findVm(v1, 'gcp', 'win'), 1, { cloud: 'gcp', project: 'my-project', logName: 'ds-events', installer }).script);
  } finally {
    fs.rmSync(pkgs.dir, { recursive: true, force: true });
  }
}

function runPester(): PesterResult[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-pester-'));
  try {
    const rendered = path.join(dir, 'rendered');
    fs.mkdirSync(rendered);
    renderScripts(rendered);
    const resultFile = path.join(dir, 'results.jsonl');
    const r = spawnSync(
      pwshPath(),
      ['-NoProfile', '-NonInteractive', '-File', path.join(__dirname, 'run-pester.ps1'), '-PesterManifest', PESTER_MANIFEST, '-ResultFile', resultFile],
      { encoding: 'utf8', env: { ...process.env, PSModulePath: STAND_INS, DSKIT_RENDERED_SCRIPTS: rendered, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' }, timeout: 240_000 },
    );
    if (!fs.existsSync(resultFile)) throw new Error(`Pester did not run (exit ${r.status}): ${r.stderr || r.stdout}`);
    return fs.readFileSync(resultFile, 'utf8').replace(/^\uFEFF/, '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const results = skipReason ? [] : runPester();
const describePester = skipReason ? describe.skip : describe;

describePester('Pester: the Windows PowerShell 5.1 gate and the shared script\'s functions', () => {
  test('ran the Pester tests (gate, planted traps, functions)', () => {
    expect(results.filter((t) => t.name !== '(containers)').length).toBeGreaterThanOrEqual(40);
  });
  test.each(results.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    if (t.result !== 'Passed') throw new Error(`${t.result}: ${t.error}`);
  });
});
