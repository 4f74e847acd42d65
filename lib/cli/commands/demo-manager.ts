/**
 * `dskit demo-manager [--port 4119]`: a STAND-IN of the manager's /api v1 on 127.0.0.1, so anyone
 * can try `preflight`, `verify`, `policy`, `rules` and `teardown --manager-only` without a tenant.
 * It is the strict double the tests use (lib/manager-double), seeded for this config's sandbox
 * (demo-tenant.ts), with a fresh random key each run. It prints the `--manager-url` and the key to
 * use, then serves until Ctrl-C (or SIGTERM); the state lives in memory only. No agent can
 * activate against it: it serves the API, not the agent endpoints.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { FakeManagerApi } from '../../manager-double/fake-manager-api';
import { seedDemoTenant } from '../../manager-double/demo-tenant';
import { EXIT_OK, OperationError, UsageError } from '../errors';
import { envelope, formatEnvelope } from '../output';
import type { CommandRun } from '../program';

export const DEFAULT_DEMO_PORT = 4119;

function portOf(flag: string | undefined): number {
  const text = flag ?? String(DEFAULT_DEMO_PORT);
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--port: got "${text}"; allowed: 0-65535 (0: any free port)`);
  return Number(text);
}

/** Resolves on the first of the signals: the demo's way to end. */
function stopped(signals: readonly NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      for (const x of signals) process.off(x, on);
      resolve(s);
    };
    for (const s of signals) process.on(s, on);
  });
}

export const run: CommandRun<{ port?: string }> = async (ctx, opts) => {
  const port = portOf(opts.port);
  const config = ctx.config;
  const apiKey = `demo-${randomBytes(16).toString('hex')}`;
  const fake = new FakeManagerApi({
    apiKey,
    keyHeader: config.manager.apiKeyHeader,
    logRequests: false,
    onRequest: (method, p, status) => ctx.io.err(`demo-manager: ${method} ${p} → ${status}`),
  });
  const seeded = seedDemoTenant(fake, config);
  let url: string;
  try {
    url = await fake.start(port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new OperationError(`demo-manager: port ${port} on 127.0.0.1 is in use (another demo-manager?); pass --port N, or --port 0 for any free one`);
    throw new OperationError(`demo-manager: cannot listen on 127.0.0.1:${port}: ${(err as Error).message}`);
  }

  const file = ctx.loadedConfig.file;
  const configFlag = ctx.options.config ? ` --config ${JSON.stringify(ctx.options.config)}` : '';
  const dskit = `npx dskit${configFlag} --manager-url ${url}`;
  const tryThese = [
    `${dskit} verify`,
    `${dskit} preflight              # the cloud and placeholder checks still run for real`,
    `${dskit} policy ensure --parent "Linux Server"`,
    `${dskit} rules stage --released-since 30d --dry-run`,
    `${dskit} teardown --manager-only --yes`,
  ];
  const data = {
    standIn: true,
    url,
    apiKeyEnv: config.manager.apiKeyEnv,
    apiKey,
    keyHeader: config.manager.apiKeyHeader,
    sandbox: config.name,
    config: file,
    seeded: { policies: seeded.policies, computers: seeded.computers, intrusionPreventionRules: seeded.rules },
    tryThese: tryThese.map((c) => c.replace(/\s+#.*$/, '')),
  };
  if (ctx.json) {
    // Printed now, not when the command ends: whoever started it needs the URL and key while it runs.
    ctx.io.out(formatEnvelope(envelope(ctx.command, EXIT_OK, data, [])));
    ctx.report.printed = true;
  } else {
    for (const line of [
      `dskit demo-manager: a STAND-IN for the Deep Security /api v1 at ${url} — not a manager`,
      '  No agent can activate against it and nothing reaches Trend Micro; its state lives in memory until you stop it (Ctrl-C).',
      `  Seeded for sandbox ${config.name} (${path.relative(ctx.cwd, file) || file}): ${seeded.computers} computers online on their policies, ${seeded.policies} policies, ${seeded.rules} IPS rules.`,
      'In another shell:',
      `  export ${config.manager.apiKeyEnv}=${apiKey}`,
      ...tryThese.map((c) => `  ${c}`),
    ]) {
      ctx.io.out(line);
    }
  }

  const signal = await stopped(['SIGINT', 'SIGTERM']);
  await fake.stop();
  ctx.io.err(`demo-manager: stopped (${signal}); its state is gone`);
  return EXIT_OK;
};
