/**
 * `dskit synth`: runs each configured cloud's app the way `cdk synth` / `cdktf synth` do
 * (same entry points as cdk.json / cdktf.json), writing cdk.out/ and cdktf.out/.
 * The apps run directly rather than through the cdk/cdktf CLIs: those add seconds of start-up
 * and nothing a synth needs (no context lookups happen in dskit's apps).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../../config/load';
import { forwardLines } from '../../cloud/output-lines';
import type { Cloud } from '../../config';
import type { CommandRun } from '../program';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE } from '../errors';
import { problem } from '../output';

const APPS: Record<Cloud, { entry: string; outdir: string }> = {
  aws: { entry: 'bin/aws.ts', outdir: 'cdk.out' },
  gcp: { entry: 'bin/gcp.ts', outdir: 'cdktf.out' },
};

/** The apps find the same file the CLI found (and do not repeat its notice or warnings). */
function appEnv(configFile: string, env: NodeJS.ProcessEnv, outdir: string): NodeJS.ProcessEnv {
  return { ...env, DSKIT_CONFIG: configFile, CDK_OUTDIR: outdir, CDKTF_OUTDIR: outdir, DSKIT_CONFIG_WARNED: '1' };
}

function runApp(cloud: Cloud, env: NodeJS.ProcessEnv, cwd: string, onLine: (l: string) => void): Promise<{ code: number; ms: number; lastError?: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(PACKAGE_ROOT, APPS[cloud].entry)], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (l: string) => onLine(`[${cloud}] ${l}`);
    // The app's own one-line error (bin/app-errors.ts) is its last stderr line: it becomes the problem.
    let lastError: string | undefined;
    forwardLines(child.stdout, forward);
    forwardLines(child.stderr, (l) => {
      if (l.trim()) lastError = l.trim();
      forward(l);
    });
    child.on('close', (code) => resolve({ code: code ?? EXIT_PROBLEM, ms: Date.now() - started, lastError }));
  });
}

export const run: CommandRun<{ cloud?: string }> = async (ctx, opts) => {
  const clouds = ctx.clouds(opts.cloud);
  const results = await Promise.all(
    clouds.map(async (cloud) => {
      const outdir = path.resolve(ctx.cwd, APPS[cloud].outdir);
      ctx.io.err(`dskit: synthesizing ${cloud} → ${path.relative(ctx.cwd, outdir) || outdir}/ ...`);
      const r = await runApp(cloud, appEnv(ctx.loadedConfig.file, ctx.env, outdir), ctx.cwd, ctx.io.err);
      return { cloud, outdir, ...r };
    }),
  );
  for (const r of results.filter((x) => x.code !== 0)) {
    ctx.problem(problem('error', `${r.cloud} synth failed (exit ${r.code})${r.lastError ? `: ${r.lastError}` : '; its lines above (stderr) say why'}`, { fix: null }));
  }
  ctx.emit(
    { config: ctx.loadedConfig.file, results: results.map((r) => ({ cloud: r.cloud, ok: r.code === 0, exitCode: r.code, outdir: r.outdir, seconds: r.ms / 1000 })) },
    () => results.map((r) => `${r.cloud}: ${r.code === 0 ? 'ok' : `failed (exit ${r.code})`} in ${(r.ms / 1000).toFixed(1)} s → ${r.outdir}`),
  );
  const worst = Math.max(0, ...results.map((r) => r.code));
  return worst === 0 ? EXIT_OK : worst === EXIT_USAGE ? EXIT_USAGE : EXIT_PROBLEM;
};
