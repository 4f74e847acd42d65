/**
 * `dskit preflight [--cloud C]`: everything that can be checked before a deploy, one line per
 * finding — PASS, WARN (likely to bite, not fatal), FAIL (with the fix) or SKIP (cannot be
 * checked from here) — in this order: the config and its placeholders, the agent signing key, the
 * manager URL and key, each chosen cloud (credentials, cdk bootstrap / Terraform, the token
 * secret and who may read it, instance types), then the manager (key, policies, group,
 * agent-initiated activation, event forwarding). Exit 1 if any FAILs. Only the chosen clouds are
 * checked: `--cloud aws` says nothing about GCP placeholders or Terraform.
 */
import * as path from 'node:path';
import { CLOUDS, placeholderProblems, type Cloud } from '../../config';
import { ManagerSetupError, managerApiUrl, managerClientFor, type ManagerClient } from '../../manager';
import type { CommandContext } from '../context';
import { EXIT_OK, EXIT_PROBLEM } from '../errors';
import { problem } from '../output';
import type { CommandRun } from '../program';
import { fail, pass, skip, type Check } from '../preflight/check';
import { signingKeyCheck } from '../preflight/signing-key';
import { apiSuffixHint, retryLine } from './manager-session';
import { installerChecks } from './vision-one';

/** Placeholder problems of the chosen clouds only: one line each. */
function placeholderChecks(ctx: CommandContext, clouds: readonly Cloud[]): Check[] {
  const others = CLOUDS.filter((c) => !clouds.includes(c)).map((c) => `${c}.`);
  const found = placeholderProblems(ctx.config).filter((p) => !others.some((o) => p.path.startsWith(o)));
  if (found.length === 0) return [pass('no placeholder values', 'manager, tenant and project values are set')];
  return found.map((p) => fail('no placeholder values', `${p.path}: ${JSON.stringify(p.value)} is a placeholder`, p.fix, p.path));
}

/** The manager URL, its key, and a client — or the lines saying what is missing. */
function managerSetup(ctx: CommandContext): { checks: Check[]; client?: ManagerClient } {
  const config = ctx.config;
  const hint = apiSuffixHint(ctx.options.managerUrl);
  if (hint) return { checks: [fail('manager URL', hint.replace(/^--manager-url: /, ''), undefined, '--manager-url')] };
  const checks: Check[] = [];
  let url: string;
  try {
    url = managerApiUrl(config.manager, ctx.options.managerUrl);
  } catch (err) {
    if (!(err instanceof ManagerSetupError)) throw err;
    return { checks: [fail('manager URL', err.message, undefined, ctx.options.managerUrl ? '--manager-url' : 'manager.url')] };
  }
  checks.push(pass('manager URL', url));
  try {
    const client = managerClientFor(config.manager, {
      env: ctx.env,
      managerUrl: ctx.options.managerUrl,
      retry: { maxAttempts: 3 },
      onRetry: (n) => ctx.io.err(retryLine(n)),
    });
    checks.push(pass('API key set', `${config.manager.apiKeyEnv} is set`));
    return { checks, client };
  } catch (err) {
    if (!(err instanceof ManagerSetupError)) throw err;
    checks.push(fail('API key set', err.message, undefined, 'manager.apiKeyEnv'));
    return { checks };
  }
}

export const run: CommandRun<{ cloud?: string }> = async (ctx, opts) => {
  const config = ctx.config; // a bad config throws ConfigError: exit 2 with one line per problem
  const clouds = ctx.clouds(opts.cloud);
  const file = ctx.loadedConfig.file;
  const checks: Check[] = [pass('config valid', path.relative(ctx.cwd, file) || file), ...placeholderChecks(ctx, clouds), signingKeyCheck(config, clouds)];
  // vision-one: the Agent Installer packages the VMs need, instead of a token and a signing key.
  checks.push(...installerChecks(config, clouds));

  const setup = managerSetup(ctx);
  checks.push(...setup.checks);
  // The clouds' SDKs load only here, and only for the chosen clouds.
  if (clouds.includes('aws')) {
    const { awsChecks } = require('../preflight/aws') as typeof import('../preflight/aws');
    checks.push(...(await awsChecks(config, ctx.cwd, ctx.env)));
  }
  if (clouds.includes('gcp')) {
    const { gcpChecks } = require('../preflight/gcp') as typeof import('../preflight/gcp');
    checks.push(...(await gcpChecks(config, ctx.env)));
  }
  if (setup.client) {
    const { managerChecks } = require('../preflight/manager') as typeof import('../preflight/manager');
    checks.push(...(await managerChecks(ctx, setup.client, clouds)));
  } else checks.push(skip('manager checks', 'need the manager URL and the API key (above)'));

  for (const c of checks.filter((x) => x.outcome === 'FAIL' || x.outcome === 'WARN')) {
    ctx.problem(problem(c.outcome === 'FAIL' ? 'error' : 'warning', `${c.check}: ${c.detail}`, { key: c.key, fix: c.fix }));
  }
  const failed = checks.filter((c) => c.outcome === 'FAIL').length;
  const warned = checks.filter((c) => c.outcome === 'WARN').length;
  const paint = ctx.paint;
  const style = { PASS: 'pass', WARN: 'warn', FAIL: 'fail', SKIP: 'skip' } as const;
  ctx.emit(
    {
      clouds,
      config: file,
      checks: checks.map((c) => ({ outcome: c.outcome, check: c.check, detail: c.detail, fix: c.fix ?? null, key: c.key ?? null })),
    },
    () => [
      ...checks.map((c) => `${paint(style[c.outcome], c.outcome)}  ${c.check}: ${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`),
      failed === 0
        ? `preflight: ready to deploy${warned ? ` (${warned} warning(s) above)` : ''}`
        : `preflight: ${failed} check(s) failed${warned ? `, ${warned} warning(s)` : ''}; fix them and run dskit preflight again`,
    ],
  );
  return failed === 0 ? EXIT_OK : EXIT_PROBLEM;
};
