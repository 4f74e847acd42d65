/**
 * What the manager-side commands share: a client built from the config and flags, retry
 * progress on stderr, policy ids resolved the same way everywhere, and manager errors turned
 * into the CLI's exit codes (setup problems 2, API failures 1, each one line).
 */
import type { PolicyConfig } from '../../config';
import { cachePolicyId, cachedPolicyId } from '../../context';
import {
  RATE_WINDOW_MS,
  ManagerApiError,
  ManagerConflictError,
  ManagerSetupError,
  ManagerUnreachableError,
  managerClientFor,
  printable,
  printableJson,
  shown,
  type ClientFromConfigOptions,
  type ManagerClient,
  type RetryNotice,
} from '../../manager';
import type { CommandContext, Output } from '../context';
import { OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';

/** The progress line before a retry. A 429 says how long dskit keeps at it: the manager's rate window. */
export function retryLine(n: RetryNotice): string {
  const wait = `retrying in ${(n.waitMs / 1000).toFixed(1)} s`;
  if (n.rateLimited) {
    return (
      `dskit: ${n.call}: HTTP 429 (rate limited); ${wait} (attempt ${n.attempt + 1}; ` +
      `the manager counts calls over ${RATE_WINDOW_MS / 1000} s, dskit gives up in ${Math.ceil((n.givesUpInMs ?? 0) / 1000)} s)`
    );
  }
  return `dskit: ${n.call}: ${n.reason}; ${wait} (attempt ${n.attempt + 1} of ${n.maxAttempts})`;
}

/**
 * `--manager-url https://dsm:4119/api` is the API's address, not the manager's: dskit adds `/api`
 * itself, so every call would 404. The hint, or undefined for a base URL.
 */
export function apiSuffixHint(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // managerApiUrl says what is wrong with it
  }
  if (!/\/api\/?$/i.test(parsed.pathname)) return undefined;
  const base = `${parsed.origin}${parsed.pathname.replace(/\/api\/?$/i, '')}`;
  return `--manager-url: got ${JSON.stringify(url)}; that is the API's address: give the manager's base URL (${base}), dskit adds /api itself`;
}

/** A missing key or a bad URL throws ManagerSetupError, which `managerCommand` turns into exit 2. */
export function managerClient(ctx: CommandContext, opts: Pick<ClientFromConfigOptions, 'retry'> = {}): ManagerClient {
  const hint = apiSuffixHint(ctx.options.managerUrl);
  if (hint) throw new UsageError(hint);
  return managerClientFor(ctx.config.manager, {
    env: ctx.env,
    managerUrl: ctx.options.managerUrl,
    onRetry: (n) => ctx.io.err(retryLine(n)),
    ...opts,
  });
}

/**
 * Output whose lines cannot carry terminal controls: whatever a server string slipped past the
 * commands' own escaping is escaped here (newlines stay: `--json` output spans lines).
 */
function safeOutput(io: Output): Output {
  // JSON first (raw bidi/C1 inside JSON strings become \uXXXX, still valid JSON), then any other control.
  const clean = (line: string) =>
    printableJson(line)
      .split('\n')
      .map((part) => printable(part))
      .join('\n');
  return {
    out: (l) => io.out(clean(l)),
    err: (l) => io.err(clean(l)),
    ...(io.status ? { status: (l: string) => io.status!(clean(l)) } : {}),
    streams: io.streams,
  };
}

/** Wraps a command so a manager error ends it with one line and the right exit code. */
export function managerCommand<O>(run: CommandRun<O>): CommandRun<O> {
  return async (ctx, opts, args) => {
    try {
      return await run(ctx.withOutput(safeOutput(ctx.io)), opts, args);
    } catch (err) {
      if (err instanceof ManagerSetupError) throw new UsageError(err.message);
      if (err instanceof ManagerApiError || err instanceof ManagerUnreachableError || err instanceof ManagerConflictError) throw new OperationError(err.message);
      throw err;
    }
  };
}

/** A policy's numeric id: as given, else the cached name, else looked up by exact name (and cached). */
export async function resolvePolicyId(client: ManagerClient, policy: PolicyConfig, cwd: string): Promise<number> {
  if (policy.id !== undefined) return policy.id;
  const name = policy.name!;
  const cached = cachedPolicyId(name, cwd);
  if (cached !== undefined) return cached;
  const id = await lookUpPolicyId(client, name);
  cachePolicyId(name, id, cwd);
  return id;
}

export async function lookUpPolicyId(client: ManagerClient, name: string): Promise<number> {
  const matches = await client.policiesNamed(name);
  if (matches.length === 0) {
    throw new OperationError(`no policy named "${shown(name)}" in the manager (names match exactly, case included)${await nearMatchHint(client, name)}; check Policies in the console or give policy.id`);
  }
  if (matches.length > 1) {
    throw new OperationError(`${matches.length} policies are named "${shown(name)}" (ids ${matches.map((p) => p.ID).join(', ')}); give policy.id instead`);
  }
  return matches[0].ID;
}

/** `; did you mean "Linux Server" (id 9)?` when a policy's name differs from `name` only in case; else empty. */
export async function nearMatchHint(client: ManagerClient, name: string): Promise<string> {
  const near = (await client.policiesNamedIgnoringCase(name)).filter((p) => p.name !== name);
  if (near.length === 0) return '';
  return `; did you mean ${near
    .slice(0, 3)
    .map((p) => `"${shown(p.name ?? '')}" (id ${p.ID})`)
    .join(' or ')}? (only the case differs)`;
}

/** `15m`, `90s`, `1h`, `1h30m`, `500ms` → milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const re = /(\d+)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) {
    throw new UsageError(`${flag}: got "${text}"; expected a duration like 15m, 90s, 1h30m`);
  }
  return total;
}

/**
 * `45 s`, `1 min`, `14 min 5 s`, `1 h 30 min`: whole seconds rounded up once, then split, so the
 * seconds part is always 0-59 (rounding the parts on their own gave `1 min 60 s` for 119.6 s).
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** `9 "Linux Server"`: a policy's id with its name next to it, when known. */
export function policyLabel(id: number | undefined, name: string | undefined): string {
  if (id === undefined) return '-';
  return name === undefined ? String(id) : `${id} "${shown(name, 40)}"`;
}

/** A fixed-width text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
