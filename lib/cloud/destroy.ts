/**
 * Destroying a sandbox's stack with the tool that made it: `cdk destroy` for AWS, `cdktf destroy`
 * for GCP. Both run from the package root (where cdk.json / cdktf.json are) with DSKIT_CONFIG
 * pointing at the config the CLI loaded, so the apps synthesize the same stack.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Cloud, SandboxConfig } from '../config';
import { legacyStateFile, localStateFile } from '../gcp/state';
import { forwardLines } from './output-lines';

export interface DestroyRequest {
  readonly cloud: Cloud;
  /** `<sandbox>-aws` / `<sandbox>-gcp`. */
  readonly stackName: string;
  readonly config: SandboxConfig;
  /** Absolute path of the sandbox.yaml in use. */
  readonly configFile: string;
  /** Where cdk.json and cdktf.json are. */
  readonly projectDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Each output line of the tool, for progress. */
  readonly onLine: (line: string) => void;
}

export interface DestroyResult {
  readonly ok: boolean;
  readonly exitCode: number;
  /** The command line run (no secrets: none are passed). */
  readonly command: string;
  /** Why it failed, when known better than "exited N". */
  readonly reason?: string;
  /** What the user can do about it. */
  readonly next?: string;
}

/**
 * Where `cdktf destroy` reads a stack's local Terraform state (no gcp.stateBucket): the project
 * root, `terraform.<stack>.tfstate`, where cdktf itself keeps it, then the stack's directory under
 * cdktf.out, where older dskit synths put it (the next synth moves it). The first that exists is
 * the one in use. Both places come from lib/gcp/state.ts, which the stack's backend uses too.
 */
export function gcpLocalStateCandidates(projectDir: string, stackName: string): string[] {
  return [localStateFile(projectDir, stackName), legacyStateFile(path.join(projectDir, 'cdktf.out'), stackName)];
}

/**
 * Before a local-state `cdktf destroy`: with no state file, Terraform destroys nothing and says
 * it succeeded. That is a failure to report, not a clean teardown.
 */
export function missingGcpState(req: Pick<DestroyRequest, 'config' | 'projectDir' | 'stackName'>): DestroyResult | undefined {
  if (req.config.gcp?.stateBucket) return undefined;
  const candidates = gcpLocalStateCandidates(req.projectDir, req.stackName);
  if (candidates.some((f) => fs.existsSync(f))) return undefined;
  const { file, args } = destroyCommand('gcp', req.stackName);
  return {
    ok: false,
    exitCode: -1,
    command: [file, ...args].join(' '),
    reason: `no Terraform state for ${req.stackName} at ${candidates.join(' or ')}: cdktf destroy would destroy nothing`,
    next:
      'if the stack was deployed from another checkout or machine, run teardown there (or copy its terraform.<stack>.tfstate here); ' +
      'otherwise the leftovers below are what to delete by hand',
  };
}

export type StackDestroyer = (req: DestroyRequest) => Promise<DestroyResult>;

/** The tool and arguments for a cloud; `--no-install` so npx never fetches a different version. */
export function destroyCommand(cloud: Cloud, stackName: string): { file: string; args: string[] } {
  return cloud === 'aws'
    ? { file: 'npx', args: ['--no-install', 'cdk', 'destroy', '--force', stackName] }
    : { file: 'npx', args: ['--no-install', 'cdktf', 'destroy', '--auto-approve', stackName] };
}

export const destroyStack: StackDestroyer = async (req) => {
  if (req.cloud === 'gcp') {
    const missing = missingGcpState(req);
    if (missing) return missing;
  }
  return runDestroy(req);
};

function runDestroy(req: DestroyRequest): Promise<DestroyResult> {
  const { file, args } = destroyCommand(req.cloud, req.stackName);
  const command = [file, ...args].join(' ');
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: req.projectDir,
      env: { ...req.env, DSKIT_CONFIG: req.configFile, CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (l: string) => req.onLine(`[${req.cloud}] ${l}`);
    forwardLines(child.stdout, forward);
    forwardLines(child.stderr, forward);
    child.on('error', (err) => {
      req.onLine(`[${req.cloud}] cannot run ${command}: ${err.message}`);
      resolve({ ok: false, exitCode: -1, command });
    });
    child.on('close', (code) => resolve({ ok: code === 0, exitCode: code ?? -1, command }));
  });
}
