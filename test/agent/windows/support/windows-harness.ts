/**
 * One Windows boot-script run for real: the rendered script under pwsh, in a network namespace whose
 * only peers are the same test doubles the Linux run uses (test/fixtures/fake-agent-endpoints), with
 * the Windows-only commands stood in by test/fixtures/windows-stand-ins. `C:\ProgramData` and
 * `C:\Program Files` are $env:ProgramData and $env:ProgramFiles, both under one test root.
 *
 * Names resolve through the namespace's own hosts file (`ip netns exec` binds /etc/netns/<ns>/hosts
 * over /etc/hosts); .NET on Linux trusts the test CA through SSL_CERT_FILE (OpenSSL's variable,
 * which .NET's X509 chain reads), and nothing else: a script that skipped certificate checks would
 * be the only way around it.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addTestNamespace,
  startFakeEndpoints,
  stopFakeEndpoints,
  TEST_HOSTS_FILE,
  testScenario,
  EndpointsCase,
  runWatched,
  type RunResult,
} from '../../support/harness';
import { REPO_ROOT } from '../../support/rootfs';
import { pwshPath } from './pwsh';

export { PROXY_PORT } from '../../support/harness';
export const STAND_INS = path.join(REPO_ROOT, 'test', 'fixtures', 'windows-stand-ins');
let counter = 0;

export interface WindowsTls {
  readonly caCert: string;
  readonly tlsKey: string;
  readonly tlsCert: string;
}

export interface WindowsCaseOptions {
  readonly tls: WindowsTls;
  readonly token: string;
  readonly packageFile: string;
  readonly managerUpAfterMs: number | null;
  readonly secretDeniedReads?: number;
  readonly proxy?: boolean;
  /** vision-one: the installer package and the manager (fake-agent-endpoints/server.ts Scenario.visionOne). */
  readonly visionOne?: import('../../../fixtures/fake-agent-endpoints/server').Scenario['visionOne'];
}

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** What EC2Launch v2 runs of `<powershell>...</powershell>` user data (and its `<persist>` tag): the part between the tags. */
export function userDataPowerShell(script: string): string {
  const m = /^<powershell>\n([\s\S]*)<\/powershell>\n(<persist>true<\/persist>\n)?$/.exec(script);
  return m ? m[1] : script;
}

export class WindowsBootScriptCase extends EndpointsCase {
  /** The test root: ProgramData, Program Files, the user profile and temp folder live under it. */
  readonly root: string;
  private readonly work: string;
  private readonly standInDir: string;
  protected readonly netns: string;
  private readonly caseId: string;
  private server?: ChildProcess;

  constructor(private readonly opts: WindowsCaseOptions) {
    super();
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-win-e2e-'));
    this.root = path.join(this.work, 'root');
    this.standInDir = path.join(this.work, 'stand-ins');
    this.caseId = `dskit-win-${process.pid}-${++counter}`;
    this.netns = this.caseId;
  }

  async start(): Promise<void> {
    for (const d of ['ProgramData', 'Program Files', 'Program Files (x86)', 'Users/SYSTEM', 'Windows/Temp']) fs.mkdirSync(path.join(this.root, d), { recursive: true });
    fs.mkdirSync(this.standInDir);
    fs.writeFileSync(path.join(this.work, 'ca.pem'), this.opts.tls.caCert);
    const etc = `/etc/netns/${this.netns}`;
    fs.mkdirSync(etc, { recursive: true });
    fs.writeFileSync(path.join(etc, 'hosts'), TEST_HOSTS_FILE);
    fs.writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    addTestNamespace(this.netns);
    const scenario = testScenario({
      tls: this.opts.tls,
      token: this.opts.token,
      packageFile: this.opts.packageFile,
      packagePath: '/software/agent/Windows/x86_64/agent.msi',
      managerUpAfterMs: this.opts.managerUpAfterMs,
      secretDeniedReads: this.opts.secretDeniedReads,
      proxy: this.opts.proxy,
      visionOne: this.opts.visionOne,
    });
    this.server = await startFakeEndpoints(this.netns, scenario, this.work, this.events);
  }

  /** The environment a Windows VM's boot script would see, under the test root. */
  private environment(extra: Record<string, string>): string[] {
    const pwsh = pwshPath();
    const env: Record<string, string> = {
      PATH: `${path.join(STAND_INS, 'bin')}:${path.dirname(pwsh)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: path.join(this.root, 'Users/SYSTEM'),
      ProgramData: path.join(this.root, 'ProgramData'),
      // Always set on Windows; the GCP exercise watcher's triggers find the hosts file under it.
      SystemRoot: path.join(this.root, 'Windows'),
      ProgramFiles: path.join(this.root, 'Program Files'),
      'ProgramFiles(x86)': path.join(this.root, 'Program Files (x86)'),
      TEMP: path.join(this.root, 'Windows/Temp'),
      TMPDIR: path.join(this.root, 'Windows/Temp'),
      PSModulePath: STAND_INS,
      SSL_CERT_FILE: path.join(this.work, 'ca.pem'),
      CURL_CA_BUNDLE: path.join(this.work, 'ca.pem'),
      DSKIT_STAND_IN_DIR: this.standInDir,
      DSKIT_STAND_IN_CASE: this.caseId,
      POWERSHELL_TELEMETRY_OPTOUT: '1',
      POWERSHELL_UPDATECHECK: 'Off',
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      ...(process.env.DOTNET_ROOT ? { DOTNET_ROOT: process.env.DOTNET_ROOT } : {}),
      ...extra,
    };
    return Object.entries(env).map(([k, v]) => `${k}=${v}`);
  }

  /** Run a rendered boot script as the cloud's agent would: saved as a .ps1, run with -File. */
  async run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    const file = path.join(this.root, 'Windows/Temp', `dskit-boot-${Date.now()}.ps1`);
    fs.writeFileSync(file, userDataPowerShell(script));
    return runWatched(
      'ip',
      ['netns', 'exec', this.netns, '/usr/bin/env', '-i', ...this.environment(env), pwshPath(), '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', file],
      this.opts.token,
      this.root,
    );
  }

  /** Bring a manager that is down (managerUpAfterMs: null) up now. */
  bringManagerUp(): void {
    this.server!.kill('SIGUSR2');
  }

  /** Resolves once the VM's log has a line matching `what` (the run goes on meanwhile). */
  async logShows(what: RegExp, timeoutMs = 120_000): Promise<void> {
    const log = path.join(this.root, 'ProgramData/dskit/dskit-agent.log');
    for (const started = Date.now(); Date.now() - started < timeoutMs; await new Promise((r) => setTimeout(r, 100))) {
      if (fs.existsSync(log) && what.test(fs.readFileSync(log, 'utf8'))) return;
    }
    throw new Error(`the VM's log never showed ${what}`);
  }

  /** A datagram to 127.0.0.1:<port>/udp inside the namespace, as the agent's syslog sends it. */
  sendSyslog(port: number, line: string): void {
    sh('ip', ['netns', 'exec', this.netns, 'bash', '-c', `printf '%s' "$1" >/dev/udp/127.0.0.1/${port}`, '_', line]);
  }

  /** The stand-ins' call log (test/fixtures/windows-stand-ins). */
  standInCalls(command?: string): Record<string, any>[] {
    const file = path.join(this.standInDir, 'calls.jsonl');
    if (!fs.existsSync(file)) return [];
    const calls = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return command ? calls.filter((c) => c.command === command) : calls;
  }

  task(name: string): Record<string, any> | undefined {
    const file = path.join(this.standInDir, `task-${name}.json`);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  }

  /** Files under the test root (everything the run could write) that contain `needle`. */
  filesContaining(needle: string): string[] {
    const r = spawnSync('grep', ['-rlF', needle, this.root, this.standInDir], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).map((f) => f.slice(this.work.length));
  }

  async stop(): Promise<void> {
    // What the run left running (the stand-in service, the syslog receiver) carries our case id.
    const marker = Buffer.from(`DSKIT_STAND_IN_CASE=${this.caseId}\0`);
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readFileSync(`/proc/${pid}/environ`).includes(marker)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    await stopFakeEndpoints(this.server);
    spawnSync('ip', ['netns', 'del', this.netns]);
    fs.rmSync(`/etc/netns/${this.netns}`, { recursive: true, force: true });
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}
