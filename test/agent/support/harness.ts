/**
 * One boot-script run for real: a copy-on-write Debian 12 rootfs (overlay over the cached one),
 * a network namespace whose only peers are the test doubles (169.254.169.254 and loopback
 * addresses on lo), and a watcher that samples every process's command line and environment
 * for the token while the script runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Scenario } from '../../fixtures/fake-agent-endpoints/server';
import { AWS_REGION, FIXTURE_DIR, MANAGER_HOST, TLS_NAMES, type TestAssets } from './assets';
import { ensureRootfs, mountRootfsCopy, REPO_ROOT } from './rootfs';

export const CLOUD_API_ADDRESS = '127.0.0.2';
export const MANAGER_ADDRESS = '127.0.0.3';
export const TOKEN_SECRET = 'dskit-e2e-activation-token';
export const TENANT_NUMERIC_ID = 4321;
/** The fake instance role's credentials the metadata double hands out. */
export const ROLE_SECRET_KEY = 'fake/secret/access/key/0000000000000000';
export const ROLE_SESSION_TOKEN = 'IQoJfake+session/token/0000000000000000000000000000==';

const TSX = require.resolve('tsx/cjs');

/** The `manager:` section of a config whose VMs talk to the test doubles. */
export function doubleManager(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'dsm',
    url: `https://${MANAGER_HOST}:4119`,
    activationUrl: `dsm://${MANAGER_HOST}:4120/`,
    tenantId: '11111111-2222-3333-4444-555555555555',
    tenantNumericId: TENANT_NUMERIC_ID,
    activationTokenSecret: TOKEN_SECRET,
    verifyPackageSignature: true,
    ...overrides,
  };
}
let counter = 0;

/** Why the e2e tests cannot run here, or undefined. Under CI=true they always run. */
export function e2eSkipReason(): string | undefined {
  if (process.env.CI === 'true') return undefined;
  if (process.getuid?.() !== 0) return 'not root (they need chroot, mount and ip netns)';
  for (const tool of ['debootstrap', 'ip', 'dpkg-deb', 'gpg', 'openssl', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install -y debootstrap dpkg-dev gnupg iproute2 openssl)`;
  }
  return undefined;
}

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** Names resolve the way the cloud's would; nothing else resolves (the mirror, dl.google.com). */
export const TEST_HOSTS_FILE =
  `127.0.0.1 localhost\n169.254.169.254 metadata.google.internal\n${MANAGER_ADDRESS} ${MANAGER_HOST}\n` +
  TLS_NAMES.filter((n) => n !== MANAGER_HOST).map((n) => `${CLOUD_API_ADDRESS} ${n}\n`).join('');
export const PROXY_PORT = 3128;

/** A network namespace whose loopback also holds the link-local metadata address. */
export function addTestNamespace(netns: string): void {
  sh('ip', ['netns', 'add', netns]);
  sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', netns, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
}

export interface ScenarioOptions {
  readonly tls: { readonly tlsKey: string; readonly tlsCert: string };
  readonly token: string;
  readonly packageFile: string;
  readonly packagePath: string;
  readonly managerUpAfterMs: number | null;
  readonly secretDeniedReads?: number;
  /** A CONNECT proxy on CLOUD_API_ADDRESS:PROXY_PORT. */
  readonly proxy?: boolean;
  /** vision-one: the installer package and the manager (fake-agent-endpoints/server.ts Scenario.visionOne). */
  readonly visionOne?: Scenario['visionOne'];
}

/** What the doubles play for one case: the same manager, cloud identities and names for every platform. */
export function testScenario(o: ScenarioOptions): Scenario {
  return {
    tlsKey: o.tls.tlsKey,
    tlsCert: o.tls.tlsCert,
    cloudApiAddress: CLOUD_API_ADDRESS,
    managerAddress: MANAGER_ADDRESS,
    managerPackagePort: 4119,
    managerActivationPort: 4120,
    managerUpAfterMs: o.managerUpAfterMs,
    packageFile: o.packageFile,
    packagePath: o.packagePath,
    tenantNumericId: TENANT_NUMERIC_ID,
    token: o.token,
    secretName: TOKEN_SECRET,
    aws: { region: AWS_REGION, accessKeyId: 'ASIAFAKEACCESSKEYID0', secretAccessKey: ROLE_SECRET_KEY, sessionToken: ROLE_SESSION_TOKEN },
    gcp: { project: 'dskit-e2e-project', accessToken: 'ya29.fake-access-token' },
    secretDeniedReads: o.secretDeniedReads,
    proxy: o.proxy ? { port: PROXY_PORT, hosts: Object.fromEntries(TLS_NAMES.map((n) => [n, n === MANAGER_HOST ? MANAGER_ADDRESS : CLOUD_API_ADDRESS])) } : undefined,
    visionOne: o.visionOne,
  };
}

/** The doubles (fake-agent-endpoints/server.ts) inside the namespace; their events go to `events`. Resolves once they listen. */
export async function startFakeEndpoints(netns: string, scenario: Scenario, workDir: string, events: ServerEvent[]): Promise<ChildProcess> {
  const scenarioFile = path.join(workDir, 'scenario.json');
  fs.writeFileSync(scenarioFile, JSON.stringify(scenario), { mode: 0o600 });
  const server = spawn('ip', ['netns', 'exec', netns, process.execPath, '--require', TSX, path.join(FIXTURE_DIR, 'server.ts'), scenarioFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: REPO_ROOT,
  });
  let stderr = '';
  server.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const lines = readline.createInterface({ input: server.stdout! });
    lines.on('line', (line) => {
      const event = JSON.parse(line) as ServerEvent;
      events.push(event);
      if (event.type === 'ready') resolve();
      if (event.type === 'fatal') reject(new Error(`fake endpoints: ${event.message}`));
    });
    server.on('exit', (code) => reject(new Error(`fake endpoints exited (${code}): ${stderr}`)));
  });
  return server;
}

export async function stopFakeEndpoints(server: ChildProcess | undefined): Promise<void> {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

export interface ServerEvent {
  readonly type: string;
  readonly [key: string]: any;
}

export interface RunResult {
  readonly code: number | null;
  readonly output: string;
  readonly seconds: number;
  /** Processes seen with the token in their command line: pid and command line. */
  readonly tokenInCmdline: string[];
  /** Processes seen with the token in their environment. */
  readonly tokenInEnviron: string[];
  /** How many /proc samples were taken (the watcher really ran). */
  readonly samples: number;
  /** Every distinct command line and environment of the run's processes (latin1: bytes as characters), to search for other secrets. */
  readonly processTexts: string[];
}

export interface CaseOptions {
  readonly assets: TestAssets;
  readonly token: string;
  readonly packageFile: string;
  readonly managerUpAfterMs: number | null;
  readonly packagePath?: string;
  /** The secret store refuses this many reads first (AWS AccessDeniedException, GCP 403). */
  readonly secretDeniedReads?: number;
  /** A CONNECT proxy on CLOUD_API_ADDRESS:PROXY_PORT (manager.proxy http://127.0.0.2:3128). */
  readonly proxy?: boolean;
  /** vision-one: the installer package and the manager (fake-agent-endpoints/server.ts Scenario.visionOne). */
  readonly visionOne?: Scenario['visionOne'];
}

/** What every boot-script case has: the doubles' events, and the files under the VM's root. */
export abstract class EndpointsCase {
  readonly events: ServerEvent[] = [];
  abstract readonly root: string;
  /** The network namespace the doubles (and the VM's script) run in. */
  protected abstract readonly netns: string;

  /** vision-one: the manager's API inside the namespace (for the CLI run there). */
  get managerApiUrl(): string {
    const url = this.ofType('ready')[0]?.managerApi as string | undefined;
    if (!url) throw new Error('no manager API: the case has no visionOne scenario');
    return url;
  }

  /** `dskit ARGS` as a user runs it, inside the namespace (where the manager double is), in `cwd`. */
  cli(args: readonly string[], cwd: string, env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.netns, process.execPath, path.join(REPO_ROOT, 'bin', 'dskit.js'), ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, DSKIT_CONFIG: '', ...env },
      timeout: 180_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }


  readFile(rel: string): string {
    return fs.readFileSync(path.join(this.root, rel), 'utf8');
  }

  exists(rel: string): boolean {
    return fs.existsSync(path.join(this.root, rel));
  }

  ofType(type: string): ServerEvent[] {
    return this.events.filter((e) => e.type === type);
  }
}

/** Runs a boot script's process while sampling every process for the token; its output and exit. */
/** `root`: a rootfs whose processes' command lines and environments the result keeps in processTexts. */
export async function runWatched(command: string, args: string[], token: string, cwd?: string, root?: string): Promise<RunResult> {
  const watcher = new TokenWatcher(token, root);
  const t0 = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  watcher.start();
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  watcher.stop();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { code, output, seconds, tokenInCmdline: watcher.cmdlineHits, tokenInEnviron: watcher.environHits, samples: watcher.samples, processTexts: [...watcher.seen] };
}

export class BootScriptCase extends EndpointsCase {
  readonly root: string;
  private readonly work: string;
  protected readonly netns: string;
  private server?: ChildProcess;
  private mounted: string[] = [];

  constructor(private readonly opts: CaseOptions) {
    super();
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-e2e-'));
    this.root = path.join(this.work, 'root');
    this.netns = `dskit-e2e-${process.pid}-${++counter}`;
  }

  async start(): Promise<void> {
    const lower = ensureRootfs((l) => console.log(l));
    this.mounted.push(...mountRootfsCopy(lower, this.work));
    // Names resolve the way the cloud's would; nothing else resolves (the mirror, dl.google.com).
    fs.writeFileSync(path.join(this.root, 'etc/hosts'), TEST_HOSTS_FILE);
    fs.writeFileSync(path.join(this.root, 'etc/resolv.conf'), 'nameserver 127.0.0.1\n');
    fs.appendFileSync(path.join(this.root, 'etc/ssl/certs/ca-certificates.crt'), this.opts.assets.caCert);

    addTestNamespace(this.netns);
    const scenario = testScenario({
      tls: this.opts.assets,
      token: this.opts.token,
      packageFile: this.opts.packageFile,
      packagePath: this.opts.packagePath ?? '/software/agent/Debian_12/x86_64/agent.deb',
      managerUpAfterMs: this.opts.managerUpAfterMs,
      proxy: this.opts.proxy,
      secretDeniedReads: this.opts.secretDeniedReads,
      visionOne: this.opts.visionOne,
    });
    this.server = await startFakeEndpoints(this.netns, scenario, this.work, this.events);
  }

  /** Run a boot script as root in the rootfs, inside the namespace, as cloud-init would. */
  async run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    const scriptPath = '/var/lib/cloud/instance/user-data.txt';
    fs.mkdirSync(path.join(this.root, path.dirname(scriptPath)), { recursive: true });
    fs.writeFileSync(path.join(this.root, scriptPath), script, { mode: 0o700 });
    const envArgs = Object.entries({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...env }).map(([k, v]) => `${k}=${v}`);
    // A UTS namespace of its own: the script may set the host name (vision-one), never this machine's.
    return runWatched('ip', ['netns', 'exec', this.netns, 'unshare', '--uts', 'chroot', this.root, '/usr/bin/env', '-i', ...envArgs, '/bin/bash', scriptPath], this.opts.token, undefined, this.root);
  }

  /** Files the run created or changed (the overlay's upper layer) that contain `needle`. */
  filesContaining(needle: string): string[] {
    const upper = path.join(this.work, 'upper');
    const scanRoot = fs.existsSync(upper) && fs.readdirSync(upper).length > 0 ? upper : this.root;
    const r = spawnSync('grep', ['-rlF', '--exclude-dir=proc', '--exclude-dir=sys', '--exclude-dir=dev', needle, scanRoot], { encoding: 'utf8' });
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.slice(scanRoot.length));
  }

  async stop(): Promise<void> {
    // Processes the run left behind (the stand-in agent daemon) live in our rootfs: end just those.
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/root`) === this.root) process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    await stopFakeEndpoints(this.server);
    for (const m of this.mounted.reverse()) spawnSync('umount', ['-l', m]);
    spawnSync('ip', ['netns', 'del', this.netns]);
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

/** Samples /proc/<pid>/cmdline and environ, as `ps e` would show them. */
export class TokenWatcher {
  cmdlineHits: string[] = [];
  environHits: string[] = [];
  readonly seen = new Set<string>();
  samples = 0;
  private timer?: NodeJS.Timeout;
  private readonly needle: Buffer;

  /** `root`: the rootfs whose processes' lines and environments are kept in `seen` (none when undefined). */
  constructor(
    token: string,
    private readonly root?: string,
  ) {
    this.needle = Buffer.from(token);
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), 2);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    this.samples++;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`);
        const ours = this.root !== undefined && fs.readlinkSync(`/proc/${pid}/root`) === this.root;
        if (ours) this.seen.add(cmdline.toString('latin1'));
        if (cmdline.includes(this.needle)) {
          const line = cmdline.toString('utf8').split('\0').join(' ').trim();
          if (!this.cmdlineHits.includes(line)) this.cmdlineHits.push(line);
        }
        const environ = fs.readFileSync(`/proc/${pid}/environ`);
        if (ours) this.seen.add(environ.toString('latin1'));
        if (environ.includes(this.needle)) this.environHits.push(cmdline.toString('utf8').split('\0').join(' '));
      } catch {
        /* exited between readdir and read */
      }
    }
  }
}
