/**
 * The Windows side of `dskit exercise`, run in PowerShell (pwsh 7 here; the VMs run Windows
 * PowerShell 5.1, so the scripts keep to what both have): the trigger script as Run Command sends
 * it parses, each trigger does its part and says so (and fails with a reason where it must), and
 * the GCP watcher the boot script installs is written as a script of its own which, run as the
 * scheduled task runs it, long-polls the metadata double and answers in guest attributes.
 * Windows-only pieces are stood in for: net.exe (the SMB logon), the ScheduledTasks cmdlets.
 * Needs pwsh (~/.dotnet/tools or PATH); outside CI it skips loudly, under CI=true it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findVm, renderBootScript } from '../../lib/agent';
import { agentSource } from '../../lib/agent/sources';
import { MODULE_KEYS } from '../../lib/exercise/catalogue';
import { resultLines } from '../../lib/exercise/protocol';
import { triggerScript } from '../../lib/exercise/scripts';
import { FakeGcpExercise } from '../fixtures/exercise-cloud/gcp';
import { configWith } from '../helpers/config';

function findPwsh(): string | undefined {
  for (const candidate of [path.join(os.homedir(), '.dotnet', 'tools', 'pwsh'), ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'pwsh'))]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
const PWSH = findPwsh();
const skipReason = PWSH ? undefined : 'pwsh is not installed (dotnet tool install --global PowerShell --version 7.6.9)';
if (skipReason && process.env.CI === 'true') throw new Error(`CI=true: the Windows exercise tests need ${skipReason}`);
if (skipReason) console.warn(`\n*** SKIPPING the Windows exercise tests: ${skipReason}. Under CI=true they run. ***\n`);
const describePwsh = skipReason ? describe.skip : describe;

jest.setTimeout(120_000);

const psq = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Runs a script in pwsh, asynchronously: the doubles it talks to answer from this process. */
function pwsh(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-ps-'));
  const file = path.join(dir, 'run.ps1');
  fs.writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn(PWSH!, ['-NoProfile', '-NonInteractive', '-File', file], { env: { ...process.env, TERM: 'dumb' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** PowerShell's own parser over each script (one pwsh for all); the errors, one line each. */
async function parseErrors(scripts: Record<string, string>): Promise<Record<string, string[]>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-ps-parse-'));
  const labels = Object.keys(scripts);
  labels.forEach((label, i) => fs.writeFileSync(path.join(dir, `${i}.ps1`), scripts[label]));
  const r = await pwsh(
    labels
      .map((_, i) => `$errors = $null; [void][System.Management.Automation.Language.Parser]::ParseFile(${psq(path.join(dir, `${i}.ps1`))}, [ref]$null, [ref]$errors); $errors | ForEach-Object { "${i}: $($_.Extent.StartLineNumber): $($_.Message)" }`)
      .join('\n'),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  const lines = r.stdout.split('\n').filter(Boolean);
  return Object.fromEntries(labels.map((label, i) => [label, lines.filter((l) => l.startsWith(`${i}: `)).map((l) => l.slice(`${i}: `.length))]));
}

/** A sandbox for the scripts: ProgramData and SystemRoot in a temp dir, a hosts file, test URLs. */
class WindowsBox {
  dir = '';
  hosts = '';
  readonly requests: string[] = [];
  private server = http.createServer((req, res) => {
    this.requests.push(`${req.headers.host} ${req.url}`);
    if (req.url === '/blocked') return void res.writeHead(403).end('blocked');
    res.writeHead(200).end('ok');
  });
  url = '';

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-exercise-win-'));
    this.hosts = path.join(this.dir, 'hosts');
    fs.writeFileSync(this.hosts, '127.0.0.1 localhost\r\n');
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.dir) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Dot-sources the scripts as a VM would hold them, pointed at this box; `net.exe` answers as told. */
  prelude(opts: { netExe?: { code: number; output: string }; wrsUrl?: string } = {}): string {
    const net = opts.netExe ?? { code: 2, output: 'System error 1326 has occurred.\r\n\r\nThe user name or password is incorrect.' };
    return [
      `$env:ProgramData = ${psq(this.dir)}`,
      `$env:SystemRoot = ${psq(this.dir)}`,
      "$ErrorActionPreference = 'Stop'",
      `. ${psq(path.join(__dirname, '..', '..', 'agents', 'windows', 'exercise-triggers.ps1'))}`,
      `$DskitExerciseDir = ${psq(path.join(this.dir, 'exercise'))}`,
      `$DskitExerciseHosts = ${psq(this.hosts)}`,
      `$DskitExerciseWrsUrl = ${psq(opts.wrsUrl ?? `${this.url}/blocked`)}`,
      `$DskitExerciseIpsUrl = ${psq(`${this.url}/products/eicar-file/eicar.com`)}`,
      "$DskitExerciseFwAddress = '127.0.0.1'",
      '$DskitExerciseFwPort = 9',
      // Windows' net.exe, which pwsh on Linux does not have: a function wins over an application.
      `function net.exe { $global:LASTEXITCODE = ${net.code}; ${psq(net.output)} }`,
    ].join('\n');
  }
}

describePwsh('the Windows scripts parse', () => {
  const config = configWith((raw) => (raw.gcp.vms = [{ name: 'win', os: 'windows-2022', count: 1 }]));
  const scripts: Record<string, string> = {
    'agents/windows/exercise-triggers.ps1': agentSource('windows/exercise-triggers.ps1'),
    'agents/windows/gcp/exercise-watcher.ps1': agentSource('windows/gcp/exercise-watcher.ps1'),
    'the Run Command script': triggerScript('windows', 'x1', [...MODULE_KEYS], 'http://proxy.example:3128'),
    'the rendered GCP boot script': renderBootScript(config, findVm(config, 'gcp', 'win'), 1, { cloud: 'gcp', project: 'p-123456', logName: 'ds-events' }).script,
  };
  let errors: Record<string, string[]>;
  beforeAll(async () => {
    errors = await parseErrors(scripts);
  });

  test.each(Object.keys(scripts).map((k) => [k]))('%s', (label) => {
    expect(errors[label]).toEqual([]);
  });

  test('the GCP boot script installs the watcher from its Complete-Dskit, the AWS one carries no watcher', () => {
    const config = configWith((raw) => {
      raw.gcp.vms = [{ name: 'win', os: 'windows-2022', count: 1 }];
      raw.aws.vms = [{ name: 'win', os: 'windows-2022', instanceType: 't3.large', count: 1 }];
    });
    const gcp = renderBootScript(config, findVm(config, 'gcp', 'win'), 1, { cloud: 'gcp', project: 'p-123456', logName: 'ds-events' }).script;
    const aws = renderBootScript(config, findVm(config, 'aws', 'win'), 1, { cloud: 'aws', region: 'ap-northeast-1', waitHandleUrl: 'https://x.example/h', logGroupName: '/dskit/ds-eval/ds-events' }).script;
    expect(gcp).toMatch(/function Install-DskitExerciseWatcher/);
    expect(gcp).toMatch(/function Invoke-DskitExercise\(/);
    expect(aws).not.toMatch(/function \S*DskitExercise/);
  });
});

describePwsh('the Windows triggers', () => {
  const box = new WindowsBox();
  let results: ReturnType<typeof resultLines>;
  let run: Awaited<ReturnType<typeof pwsh>>;
  beforeAll(async () => {
    await box.start();
    run = await pwsh(`${box.prelude()}\nInvoke-DskitExercise 'x1' 'am,wrs,ips,im,li,fw'`);
    results = resultLines(run.stdout);
  });
  afterAll(() => box.stop());

  test('each writes one result line, in order, all ok', () => {
    expect(run.stderr).toBe('');
    expect(results.map((r) => [r.module, r.ok])).toEqual(MODULE_KEYS.map((m) => [m, true]));
    for (const r of results) expect(Math.abs(r.at - Date.now())).toBeLessThan(60_000);
  });

  test('anti-malware writes the 68-byte EICAR file under ProgramData', () => {
    const file = path.join(box.dir, 'exercise', 'x1', 'eicar.com');
    expect(createHash('md5').update(fs.readFileSync(file)).digest('hex')).toBe('44d88612fea8a8f36de82e1278abb02f');
    expect(results[0].detail).toBe(`wrote the EICAR test file ${file} (68 bytes)`);
  });

  test('web reputation and IPS make one GET each and report the answer', () => {
    expect(box.requests.map((r) => r.replace(/^\S+ /, ''))).toEqual(['/blocked', '/products/eicar-file/eicar.com']);
    expect(results[1].detail).toBe(`GET ${box.url}/blocked: HTTP 403`);
    expect(results[2].detail).toBe(`GET ${box.url}/products/eicar-file/eicar.com: HTTP 200`);
  });

  test('integrity monitoring leaves the hosts file byte for byte as it was', () => {
    expect(fs.readFileSync(box.hosts, 'utf8')).toBe('127.0.0.1 localhost\r\n');
    expect(results[3].detail).toBe(`changed ${box.hosts} (one comment line added, then removed)`);
  });

  test('log inspection: the refused logon (1326) is the test passing', () => {
    expect(results[4].detail).toMatch(/^net use \\\\127\.0\.0\.1\\IPC\$ as dskit-nouser-x1 was refused: System error 1326/);
  });

  test('firewall: the probe was attempted', () => {
    expect(results[5].detail).toBe('TCP 127.0.0.1:9: refused or reset');
  });
});

describePwsh('the Windows triggers fail with a reason', () => {
  const box = new WindowsBox();
  beforeAll(() => box.start());
  afterAll(() => box.stop());

  test('web reputation without DNS', async () => {
    const r = resultLines((await pwsh(`${box.prelude({ wrsUrl: 'http://dskit-exercise.invalid/' })}\nInvoke-DskitExercise 'x2' 'wrs'`)).stdout);
    expect(r).toEqual([expect.objectContaining({ module: 'wrs', ok: false, detail: 'GET http://dskit-exercise.invalid/: could not resolve dskit-exercise.invalid; the VM needs DNS and outbound HTTP for this test' })]);
  });

  test('log inspection when the Server service does not answer (System error 53), and when the account exists', async () => {
    const down = resultLines((await pwsh(`${box.prelude({ netExe: { code: 2, output: 'System error 53 has occurred. The network path was not found.' } })}\nInvoke-DskitExercise 'x3' 'li'`)).stdout);
    expect(down[0]).toMatchObject({ module: 'li', ok: false });
    expect(down[0].detail).toMatch(/did not reach the logon \(is the Server service running\?\)/);
    const exists = resultLines((await pwsh(`${box.prelude({ netExe: { code: 0, output: 'The command completed successfully.' } })}\nInvoke-DskitExercise 'x3' 'li'`)).stdout);
    expect(exists[0]).toMatchObject({ module: 'li', ok: false, detail: 'net use as dskit-nouser-x3 logged on: an account of that name exists' });
  });

  test('integrity monitoring when the hosts file cannot be read', async () => {
    const r = resultLines((await pwsh(`${box.prelude()}\n$DskitExerciseHosts = ${psq(path.join(box.dir, 'no-such-hosts'))}\nInvoke-DskitExercise 'x4' 'im'`)).stdout);
    expect(r[0]).toMatchObject({ module: 'im', ok: false });
    expect(r[0].detail).toMatch(/^cannot read .*no-such-hosts: /);
  });

  test('a bad run id stops before anything runs', async () => {
    const r = await pwsh(`${box.prelude()}\nInvoke-DskitExercise 'X; rm' 'am'`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('dskit exercise: bad run id');
    expect(fs.existsSync(path.join(box.dir, 'exercise'))).toBe(false);
  });
});

describePwsh('the Windows watcher, installed and run as the scheduled task runs it', () => {
  const box = new WindowsBox();
  const gcp = new FakeGcpExercise('p-123456', 'asia-northeast1-a', 'asia-northeast1');
  const name = 'ds-eval-gcp-win-1';
  let watcher: ChildProcess | undefined;
  let install: Awaited<ReturnType<typeof pwsh>>;
  let metadataUrl: string;
  const watcherFile = () => path.join(box.dir, 'dskit', 'exercise-watcher.ps1');

  beforeAll(async () => {
    await box.start();
    metadataUrl = `${await gcp.start()}/computeMetadata/v1`;
    gcp.addInstance(name);
    gcp.metadataInstance = name;
    fs.mkdirSync(path.join(box.dir, 'dskit'));
    install = await pwsh(
      [
        box.prelude(),
        `. ${psq(path.join(__dirname, '..', '..', 'agents', 'windows', 'gcp', 'exercise-watcher.ps1'))}`,
        `$MetadataUrl = ${psq(metadataUrl)}`,
        "$Proxy = ''",
        'function Write-DskitLog([string]$Message) { "LOG $Message" }',
        // The ScheduledTasks module is Windows-only: record what the install asks of it.
        'function New-ScheduledTaskAction { param($Execute, $Argument) "ACTION $Execute $Argument" }',
        'function New-ScheduledTaskTrigger { param([switch]$AtStartup) "TRIGGER AtStartup=$AtStartup" }',
        'function New-ScheduledTaskSettingsSet { param($ExecutionTimeLimit, $RestartCount, $RestartInterval) "SETTINGS limit=$ExecutionTimeLimit restarts=$RestartCount" }',
        'function Register-ScheduledTask { param($TaskName, $Action, $Trigger, $Settings, $User, $RunLevel, [switch]$Force) $global:Registered = "REGISTER $TaskName $User $RunLevel | $Action | $Trigger | $Settings" }',
        'function Start-ScheduledTask { param($TaskName) "START $TaskName" }',
        'Install-DskitExerciseWatcher',
        '$global:Registered',
      ].join('\n'),
    );
    // The scheduled task's command line, with pwsh for powershell.exe.
    // (Its first poll answers at once with whatever is set by then, so it may start late.)
    // Its own process group: the pwsh launcher runs the real PowerShell as a child, and both must end.
    watcher = spawn(PWSH!, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', watcherFile()], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  });
  afterAll(async () => {
    if (watcher?.pid) {
      try {
        process.kill(-watcher.pid, 'SIGKILL');
      } catch {
        /* ended already */
      }
    }
    await gcp.stop();
    await box.stop();
  });

  test('the install registers a SYSTEM task at startup with no time limit, and logs it', () => {
    expect(install.stderr).toBe('');
    expect(install.stdout).toContain(
      `REGISTER dskit-exercise-watcher SYSTEM Highest | ACTION powershell.exe -NoProfile -ExecutionPolicy Bypass -File "${watcherFile()}" | TRIGGER AtStartup=True | SETTINGS limit=00:00:00 restarts=999`,
    );
    expect(install.stdout).toMatch(/^START dskit-exercise-watcher$/m);
    expect(install.stdout).toMatch(/^LOG exercise watcher: waiting on instance metadata key dskit-exercise/m);
  });

  test('the written watcher parses, and carries the functions and settings it needs but not the installer', async () => {
    const text = fs.readFileSync(watcherFile(), 'utf8');
    expect((await parseErrors({ watcher: text })).watcher).toEqual([]);
    for (const f of ['Watch-DskitExercise', 'Invoke-DskitExerciseRequest', 'Send-DskitExerciseAnswer', 'Invoke-DskitExercise', 'Invoke-DskitExerciseAm', 'Write-DskitExerciseResult']) {
      expect(text).toContain(`function ${f} {`);
    }
    expect(text).not.toContain('function Install-DskitExerciseWatcher');
    expect(text).toContain(`$MetadataUrl = ${psq(metadataUrl)}`);
    expect(text.trimEnd().endsWith('Watch-DskitExercise')).toBe(true);
    expect(text).not.toContain('EICAR-STANDARD');
  });

  test('a request through metadata runs the triggers once and answers in guest attributes', async () => {
    const inst = gcp.instances.get(name)!;
    gcp.changeMetadata(name, 'dskit-exercise', 'run=x9 modules=am,im,fw');
    const giveUp = Date.now() + 45_000;
    while (!/^x9 done /.test(inst.guestAttributes.get('dskit-exercise/watcher') ?? '') && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 200));
    expect(inst.guestAttributes.get('dskit-exercise/watcher')).toMatch(/^x9 done \d+$/);
    expect(inst.guestAttributes.get('dskit-exercise/am')).toMatch(/^x9 ok \d+ wrote the EICAR test file /);
    expect(inst.guestAttributes.get('dskit-exercise/im')).toMatch(/^x9 ok \d+ changed /);
    expect(inst.guestAttributes.get('dskit-exercise/fw')).toMatch(/^x9 ok \d+ TCP 127\.0\.0\.1:9/);
    expect(inst.guestAttributes.has('dskit-exercise/wrs')).toBe(false);
    // Again with the same run id (an unrelated change wakes the poll): nothing runs twice.
    const done = inst.guestAttributes.get('dskit-exercise/watcher');
    gcp.changeMetadata(name, 'unrelated', 'x');
    await new Promise((r) => setTimeout(r, 2000));
    expect(inst.guestAttributes.get('dskit-exercise/watcher')).toBe(done);
    expect(fs.readFileSync(path.join(box.dir, 'dskit', 'exercise-last-run'), 'utf8').trim()).toBe('x9');
  });
});
