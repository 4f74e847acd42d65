/**
 * A sandbox VM for real, for the exercise end-to-end test: the cached Debian 12 root filesystem of
 * the boot-script tests with what a cloud image runs besides (openssh-server, rsyslog) added once
 * and cached too, mounted copy-on-write per case; a network namespace whose only peers are the
 * doubles (test/fixtures/exercise-cloud/main.ts, inside it); rsyslog, sshd and the stand-in agent
 * detector (test/fixtures/exercise-agent) running in the chroot. The CLI runs in the namespace too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ensureRootfs, mountRootfsCopy, REPO_ROOT, rootfsCacheDir, rootfsCachePath } from '../../agent/support/rootfs';
import type { VmScenario } from '../../fixtures/exercise-cloud/main';
import type { CliResult } from '../../helpers/cli';
import { runDskitIn } from './lab';

/** What a cloud image has that the boot-script rootfs lacks and the triggers use. */
export const EXERCISE_PACKAGES = ['openssh-server', 'openssh-client', 'rsyslog'] as const;
const TSX = require.resolve('tsx/cjs');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const VM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
let counter = 0;

const sh = (cmd: string, args: string[], opts: { input?: string } = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).slice(-2000)}`);
  return r.stdout;
};

function exerciseRootfsPath(): string {
  const key = createHash('sha256').update(`${rootfsCachePath()}|${EXERCISE_PACKAGES.join(',')}`).digest('hex').slice(0, 12);
  // Beside the boot-script rootfs, outside the repo (one build per machine, every clone).
  return path.join(rootfsCacheDir(), `debian12-exercise-${key}`);
}

/** The boot-script rootfs plus EXERCISE_PACKAGES (apt from the Debian mirror, once; cached). */
export function ensureExerciseRootfs(log: (line: string) => void = () => {}): string {
  const dir = exerciseRootfsPath();
  if (fs.existsSync(path.join(dir, '.dskit-complete'))) return dir;
  const base = ensureRootfs(log);
  const tmp = `${dir}.building-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`adding ${EXERCISE_PACKAGES.join(', ')} to a copy of ${base} (cached in ${dir})`);
  sh('cp', ['-a', `${base}/.`, tmp]);
  fs.rmSync(path.join(tmp, '.dskit-complete'), { force: true });
  fs.copyFileSync('/etc/resolv.conf', path.join(tmp, 'etc/resolv.conf'));
  // No service may start while packages install (there is no init in a chroot anyway).
  fs.writeFileSync(path.join(tmp, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const apt = spawnSync(
    'chroot',
    [tmp, '/usr/bin/env', '-i', `PATH=${VM_PATH}`, 'DEBIAN_FRONTEND=noninteractive', '/bin/sh', '-c', `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${EXERCISE_PACKAGES.join(' ')}`],
    { encoding: 'utf8' },
  );
  if (apt.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`installing ${EXERCISE_PACKAGES.join(', ')} failed (${apt.status}): ${(apt.stderr || apt.stdout).slice(-2000)}`);
  }
  fs.rmSync(path.join(tmp, 'usr/sbin/policy-rc.d'));
  fs.rmSync(path.join(tmp, 'var/cache/apt/archives'), { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'var/cache/apt/archives/partial'), { recursive: true });
  fs.rmSync(path.join(tmp, 'var/lib/apt/lists'), { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'var/lib/apt/lists/partial'), { recursive: true });
  fs.writeFileSync(path.join(tmp, '.dskit-complete'), `${new Date().toISOString()}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}

export interface CloudEvent {
  readonly type: string;
  readonly [key: string]: any;
}

export class ExerciseVm {
  readonly events: CloudEvent[] = [];
  root = '';
  readonly netns: string;
  urls!: { managerUrl: string; awsUrl: string; gcpUrl: string };
  private work = '';
  private cloud?: ChildProcess;
  private mounted: string[] = [];
  private waiters: { match: (e: CloudEvent) => boolean; resolve: (e: CloudEvent) => void }[] = [];

  constructor(private readonly scenario: Omit<VmScenario, 'root'>) {
    this.netns = `dskit-ex-${process.pid}-${++counter}`;
  }

  async start(): Promise<void> {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-exercise-vm-'));
    this.root = path.join(this.work, 'root');
    // Progress of a one-off build (minutes), on stderr.
    const lower = ensureExerciseRootfs((l) => process.stderr.write(`${l}\n`));
    this.mounted.push(...mountRootfsCopy(lower, this.work));
    fs.writeFileSync(
      path.join(this.root, 'etc/hosts'),
      `127.0.0.1 localhost\n127.0.1.1 ${this.scenario.displayName}\n169.254.169.254 metadata.google.internal\n127.0.0.5 files.trendmicro.com wrs21.winshipway.com\n`,
    );
    fs.writeFileSync(path.join(this.root, 'etc/resolv.conf'), 'nameserver 127.0.0.1\n');
    // rsyslog writes the auth log; without imklog, which would read the host's kernel log.
    fs.writeFileSync(path.join(this.root, 'etc/rsyslog.conf'), 'module(load="imuxsock")\nauth,authpriv.*\t/var/log/auth.log\n*.*;auth,authpriv.none\t-/var/log/syslog\n');
    for (const [from, to] of [
      ['exercise-agent/ds-detector', 'usr/local/lib/ds-detector'],
      ['exercise-agent/systemctl', 'usr/local/sbin/systemctl'],
    ]) {
      fs.mkdirSync(path.dirname(path.join(this.root, to)), { recursive: true });
      fs.copyFileSync(path.join(FIXTURES, from), path.join(this.root, to));
      fs.chmodSync(path.join(this.root, to), 0o755);
    }

    sh('ip', ['netns', 'add', this.netns]);
    sh('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', this.netns, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);

    const scenarioFile = path.join(this.work, 'scenario.json');
    fs.writeFileSync(scenarioFile, JSON.stringify({ ...this.scenario, root: this.root }), { mode: 0o600 });
    const cloud = spawn('ip', ['netns', 'exec', this.netns, process.execPath, '--require', TSX, path.join(FIXTURES, 'exercise-cloud', 'main.ts'), scenarioFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: REPO_ROOT,
    });
    this.cloud = cloud;
    let stderr = '';
    cloud.stderr!.on('data', (d) => (stderr += d));
    const ready = new Promise<CloudEvent>((resolve, reject) => {
      readline.createInterface({ input: cloud.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as CloudEvent;
        this.events.push(event);
        for (const w of [...this.waiters]) {
          if (w.match(event)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
        if (event.type === 'ready') resolve(event);
        if (event.type === 'fatal') reject(new Error(`cloud doubles: ${event.message}`));
      });
      cloud.on('exit', (code) => reject(new Error(`cloud doubles exited (${code}): ${stderr}`)));
    });
    this.urls = (await ready) as unknown as ExerciseVm['urls'];

    // What a booted image runs: the system log and sshd; and the stand-in agent.
    this.chroot('rsyslogd');
    this.chroot('mkdir -p /run/sshd && /usr/sbin/sshd');
    this.chroot(`setsid /usr/local/lib/ds-detector ${this.scenario.displayName} ${this.scenario.computerId} </dev/null >/var/log/ds-detector.log 2>&1 &`);
    await this.until(() => this.exists('run/sshd.pid') && this.exists('run/rsyslogd.pid'), 'sshd and rsyslogd to start');
  }

  /** A shell command as root in the VM, inside the namespace; throws on failure. */
  chroot(command: string, env: Record<string, string> = {}): string {
    const envArgs = Object.entries({ PATH: VM_PATH, HOME: '/root', ...env }).map(([k, v]) => `${k}=${v}`);
    return sh('ip', ['netns', 'exec', this.netns, 'chroot', this.root, '/usr/bin/env', '-i', ...envArgs, '/bin/bash', '-c', command]);
  }

  /** A script as root in the VM, the way cloud-init / the guest agent runs a boot script. */
  runScript(script: string): Promise<{ code: number | null; output: string }> {
    const rel = 'var/lib/google/startup-script';
    fs.mkdirSync(path.dirname(path.join(this.root, rel)), { recursive: true });
    fs.writeFileSync(path.join(this.root, rel), script, { mode: 0o700 });
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.netns, 'chroot', this.root, '/usr/bin/env', '-i', `PATH=${VM_PATH}`, 'HOME=/root', '/bin/bash', `/${rel}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      child.on('exit', (code) => resolve({ code, output }));
    });
  }

  /** `dskit` as a user runs it, from inside the namespace (where the doubles are). */
  dskit(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 240_000): Promise<CliResult> {
    return runDskitIn(args, cwd, env, timeoutMs, ['ip', 'netns', 'exec', this.netns]);
  }

  /** Asks the cloud process for the VM's guest attributes and metadata. */
  async gcpState(): Promise<{ guestAttributes: Record<string, string>; metadata: Record<string, string> }> {
    const answer = new Promise<CloudEvent>((resolve) => this.waiters.push({ match: (e) => e.type === 'state', resolve }));
    this.cloud!.stdin!.write('state\n');
    return (await answer) as any;
  }

  setMetadata(key: string, value: string): void {
    this.cloud!.stdin!.write(`set-metadata ${key} ${value}\n`);
  }

  readFile(rel: string): string {
    return fs.readFileSync(path.join(this.root, rel), 'utf8');
  }

  exists(rel: string): boolean {
    return fs.existsSync(path.join(this.root, rel));
  }

  ofType(type: string): CloudEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  async until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const giveUp = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (!this.work) return;
    // Only the processes of this VM (they live in its root filesystem), and the cloud process.
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/root`) === this.root) process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    if (this.cloud && this.cloud.exitCode === null) {
      this.cloud.kill('SIGTERM');
      await new Promise((r) => this.cloud!.once('exit', r));
    }
    for (const m of this.mounted.reverse()) spawnSync('umount', ['-l', m]);
    spawnSync('ip', ['netns', 'del', this.netns]);
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}
