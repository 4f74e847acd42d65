/**
 * Test harness for the manager-side commands: the fake manager in this process, a sandbox.yaml
 * in a temp dir, and `dskit` run as a child process *asynchronously* (a spawnSync would block
 * the event loop the fake answers on).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { FakeManagerApi, type FakeManagerOptions } from '../fixtures/fake-manager-api/server';
import type { CliResult } from '../helpers/cli';
import { DSKIT_BIN } from '../helpers/cli';
import { exampleRaw } from '../helpers/config';

export const API_KEY = 'test-key-0000-not-a-real-secret';
export const TENANT = '11111111-2222-3333-4444-555555555555';

/** A valid, non-placeholder sandbox.yaml: aws web×2 + win×1, gcp web×1, policy by id. */
export function sandboxRaw(policyId: number, edit: (raw: Record<string, any>) => void = () => {}): Record<string, any> {
  const raw = exampleRaw();
  raw.manager = {
    type: 'dsm',
    url: 'https://dsm.lab.test:4119',
    activationUrl: 'dsm://dsm.lab.test:4120/',
    tenantId: TENANT,
    activationTokenSecret: 'ds-eval-activation-token',
    apiKeyEnv: 'DS_API_KEY',
    // No agent signing key ships with the repo; with verification on, preflight fails on that alone.
    verifyPackageSignature: false,
  };
  raw.policy = { id: policyId };
  raw.aws.vms = [
    { name: 'web', os: 'amazon-linux-2023', count: 2 },
    { name: 'win', os: 'windows-2022', instanceType: 't3.large', count: 1 },
  ];
  raw.gcp.project = 'dskit-lab-1234';
  raw.gcp.vms = [{ name: 'web', os: 'debian-12', count: 1 }];
  edit(raw);
  return raw;
}

export interface Lab {
  readonly fake: FakeManagerApi;
  readonly url: string;
  readonly dir: string;
  readonly configFile: string;
  writeConfig(raw: Record<string, any>): void;
  dskit(args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  context(): any;
  close(): Promise<void>;
}

export async function startLab(options: Partial<FakeManagerOptions> = {}): Promise<Lab> {
  const fake = new FakeManagerApi({ apiKey: API_KEY, ...options });
  const url = await fake.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-manager-'));
  const configFile = path.join(dir, 'sandbox.yaml');
  return {
    fake,
    url,
    dir,
    configFile,
    writeConfig: (raw) => fs.writeFileSync(configFile, stringify(raw)),
    dskit: (args, opts = {}) =>
      runDskitAsync(['--config', configFile, '--manager-url', url, ...args], {
        cwd: dir,
        env: { DS_API_KEY: API_KEY, ...opts.env },
        timeoutMs: opts.timeoutMs,
      }),
    context: () => {
      const f = path.join(dir, 'dskit.context.json');
      return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : {};
    },
    close: async () => {
      await fake.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function runDskitAsync(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DSKIT_BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, DSKIT_CONFIG: '', DSKIT_API_KEY_HEADER: '', FORCE_COLOR: undefined, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
