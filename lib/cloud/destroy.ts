/**
 * Destroying a sandbox's stack with the tool that made it: `cdk destroy` for AWS, `cdktf destroy`
 * for GCP. Both run from the package root (where cdk.json / cdktf.json are) with DSKIT_CONFIG
 * pointing at the config the CLI loaded, so the apps synthesize the same stack.
 */
import { spawn } from 'node:child_process';
import type { Cloud } from '../config';
import { forwardLines } from './output-lines';

export interface DestroyRequest {
  readonly cloud: Cloud;
  /** `<sandbox>-aws` / `<sandbox>-gcp`. */
  readonly stackName: string;
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
}

export type StackDestroyer = (req: DestroyRequest) => Promise<DestroyResult>;

/** The tool and arguments for a cloud; `--no-install` so npx never fetches a different version. */
export function destroyCommand(cloud: Cloud, stackName: string): { file: string; args: string[] } {
  return cloud === 'aws'
    ? { file: 'npx', args: ['--no-install', 'cdk', 'destroy', '--force', stackName] }
    : { file: 'npx', args: ['--no-install', 'cdktf', 'destroy', '--auto-approve', stackName] };
}

export const destroyStack: StackDestroyer = (req) => {
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
};
