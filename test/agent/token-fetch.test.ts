/**
 * Reading the activation token while IAM catches up (issue 9 item 6): the shared retry loop
 * (dskit_fetch_token in agents/linux/classic.sh, dskit_identity_retry in install-agent.sh) and GCP's one try (agents/linux/gcp/secret.sh),
 * sourced into a real bash. Only the network is stubbed: curl_metadata / curl_tls answer as the
 * metadata server and Secret Manager do, and `sleep` advances bash's SECONDS instead of sleeping,
 * so a 10-minute budget runs in milliseconds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENTS_DIR } from '../../lib/agent/sources';

const TOKEN = 'ABCDEF01-2345-6789-ABCD-EF0123456789';
const DENIED = JSON.stringify({
  error: {
    code: 403,
    message: "Permission 'secretmanager.versions.access' denied for resource 'projects/p-1/secrets/ds-token/versions/latest' (or it may not exist).",
    status: 'PERMISSION_DENIED',
  },
});
const GRANTED = JSON.stringify({ name: 'projects/1/secrets/ds-token/versions/1', payload: { data: Buffer.from(TOKEN).toString('base64') } });

interface Answer {
  readonly code: number;
  readonly body: string;
}

interface FetchRun {
  readonly code: number | null;
  /** What dskit_fetch_token printed: the token, or the last reason. */
  readonly printed: string;
  readonly log: string[];
  /** Simulated seconds the loop spent. */
  readonly elapsed: number;
  readonly secretCalls: number;
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-token-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const quote = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;

/** Bash's SECONDS also counts real time, so a simulated duration can come out a second longer. */
function expectAbout(actual: number, seconds: number): void {
  expect(actual).toBeGreaterThanOrEqual(seconds);
  expect(actual).toBeLessThanOrEqual(seconds + 1);
}

/**
 * Runs dskit_fetch_token with Secret Manager answering `answers` in turn (the last one repeats).
 * `metadataFails`: the metadata server gives no token (a non-permission failure).
 */
function fetchToken(name: string, answers: Answer[], vars: Record<string, string> = {}, metadataFails = false): FetchRun {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const answersFile = path.join(dir, 'answers');
  fs.writeFileSync(answersFile, answers.map((a) => `${a.code} ${a.body}`).join('\n') + '\n');
  const counter = path.join(dir, 'calls');
  fs.writeFileSync(counter, '0');
  const script = `
${Object.entries({ DSKIT_BUDGET_SECONDS: '600', DSKIT_ATTEMPTS: '4', DSKIT_BACKOFF_CAP: '30', ...vars })
  .map(([k, v]) => `${k}=${quote(v)}`)
  .join('\n')}
source ${JSON.stringify(path.join(AGENTS_DIR, 'linux/install-agent.sh'))}
source ${JSON.stringify(path.join(AGENTS_DIR, 'linux/classic.sh'))}
source ${JSON.stringify(path.join(AGENTS_DIR, 'linux/gcp/metadata.sh'))}
source ${JSON.stringify(path.join(AGENTS_DIR, 'linux/gcp/secret.sh'))}
LOG_FILE=${JSON.stringify(path.join(dir, 'dskit.log'))}
DISPLAY_NAME=lab-gcp-web-1 CLOUD=gcp GCP_PROJECT=p-1 TOKEN_SECRET_NAME=ds-token PROXY=''
curl_metadata() {
  ${metadataFails ? 'echo "curl: (7) Failed to connect to metadata.google.internal port 80" >&2; return 7' : `printf '%s' '{"access_token":"ya29.vm-token","expires_in":3599,"token_type":"Bearer"}'`}
}
# Secret Manager: the next canned answer, body then "\\n<code>" as -w '\\n%{http_code}' prints it.
curl_tls() {
  local n line total
  cat >/dev/null
  n=$(($(cat ${JSON.stringify(counter)}) + 1)); echo "$n" >${JSON.stringify(counter)}
  total=$(wc -l <${JSON.stringify(answersFile)})
  line=$(sed -n "$((n < total ? n : total))p" ${JSON.stringify(answersFile)})
  printf '%s\\n%s' "\${line#* }" "\${line%% *}"
}
sleep() { SECONDS=$((SECONDS + $1)); }
# As dskit_main calls it: in a command substitution (a subshell), which also holds the simulated clock.
out=$(started=$SECONDS; dskit_fetch_token; rc=$?; echo "$((SECONDS - started))" >${JSON.stringify(path.join(dir, 'elapsed'))}; exit "$rc"); rc=$?
printf '%s\\n%s\\n%s' "$rc" "$(cat ${JSON.stringify(path.join(dir, 'elapsed'))})" "$out" >${JSON.stringify(path.join(dir, 'result'))}
`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`bash failed: ${r.stderr}`);
  const [code, elapsed, ...printed] = fs.readFileSync(path.join(dir, 'result'), 'utf8').split('\n');
  const logFile = path.join(dir, 'dskit.log');
  return {
    code: Number(code),
    printed: printed.join('\n'),
    elapsed: Number(elapsed),
    log: fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n') : [],
    secretCalls: Number(fs.readFileSync(counter, 'utf8')),
  };
}

const denied: Answer = { code: 403, body: DENIED };
const granted: Answer = { code: 200, body: GRANTED };

describe('the token while the secret grant propagates (HTTP 403)', () => {
  test('403s are retried with backoff until the grant arrives, one log line per try', () => {
    const r = fetchToken('propagating', [denied, denied, denied, denied, denied, granted]);
    expect(r.code).toBe(0);
    expect(r.printed).toBe(TOKEN);
    expect(r.secretCalls).toBe(6);
    // More tries than DSKIT_ATTEMPTS (4): permission errors are bounded by the budget, not a count.
    expect(r.log).toHaveLength(5);
    expect(r.log[0]).toMatch(
      /^\S+ dskit\[lab-gcp-web-1\]: reading the activation token, attempt 1: Secret Manager refused secret ds-token to the VM's service account \(HTTP 403: Permission 'secretmanager\.versions\.access' denied for resource 'projects\/p-1\/secrets\/ds-token\/versions\/latest' \(or it may not exist\)\.\); retrying in 1s \((600|599)s of the run's budget left\)$/,
    );
    expect(r.log.map((l) => /retrying in (\d+)s/.exec(l)![1])).toEqual(['1', '2', '4', '8', '16']);
    expectAbout(r.elapsed, 31);
  });

  test('a grant that never comes: retried until the run\'s budget is spent, backoff capped, then the reason with what to do', () => {
    const r = fetchToken('never', [denied], { DSKIT_BUDGET_SECONDS: '600', DSKIT_BACKOFF_CAP: '30' });
    expect(r.code).toBe(1);
    expectAbout(r.elapsed, 600);
    const pauses = r.log.map((l) => /retrying in (\d+)s/.exec(l)?.[1]).filter(Boolean).map(Number);
    expect(Math.max(...pauses)).toBe(30);
    // 1+2+4+8+16 = 31 s, 18 pauses of 30 s, one of the 29 s left, then a last try: 25, each logged once.
    expect(r.secretCalls).toBe(r.log.length);
    expect(r.secretCalls).toBeGreaterThanOrEqual(24);
    expect(r.secretCalls).toBeLessThanOrEqual(25);
    expect(r.log.at(-1)).toMatch(/attempt 2[45]: Secret Manager refused .*; giving up: the run's budget is spent$/);
    expect(r.printed).toMatch(
      /^Secret Manager refused secret ds-token to the VM's service account \(HTTP 403: .*\); still refused after 60[01]s of retries \(IAM grants can take 7 minutes or more; if the grant exists, raise gcp\.activationTimeoutMinutes\)$/,
    );
  });

  test('the budget bounds every loop: a short one gives up in time', () => {
    const r = fetchToken('short', [denied], { DSKIT_BUDGET_SECONDS: '10' });
    expect(r.code).toBe(1);
    expectAbout(r.elapsed, 10);
    const pauses = r.log.map((l) => /retrying in (\d+)s/.exec(l)?.[1]).filter(Boolean).map(Number);
    // 1, 2, 4, then only what is left of the 10 s (3, or less if real time passed).
    expect(pauses.slice(0, 3)).toEqual([1, 2, 4]);
    expect(pauses[3]).toBeLessThanOrEqual(3);
    expect(r.log.at(-1)).toMatch(/giving up: the run's budget is spent$/);
  });
});

describe('other failures are not waited out', () => {
  test('a missing secret (HTTP 404) is tried DSKIT_ATTEMPTS times, then its reason', () => {
    const r = fetchToken('missing', [{ code: 404, body: JSON.stringify({ error: { code: 404, message: 'Secret [projects/1/secrets/ds-token] not found or has no versions.', status: 'NOT_FOUND' } }) }]);
    expect(r.code).toBe(1);
    expect(r.secretCalls).toBe(4);
    expectAbout(r.elapsed, 1 + 2 + 4);
    expect(r.printed).toBe('Secret Manager answered HTTP 404 for secret ds-token: Secret [projects/1/secrets/ds-token] not found or has no versions.');
    expect(r.log.at(-1)).toMatch(/attempt 4: .*; giving up after 4 such failures$/);
  });

  test('no service account token from the metadata server: DSKIT_ATTEMPTS tries', () => {
    const r = fetchToken('no-sa', [granted], {}, true);
    expect(r.code).toBe(1);
    expect(r.secretCalls).toBe(0);
    expect(r.log).toHaveLength(4);
    expect(r.printed).toBe('the metadata server gave no service account token (does the VM have a service account?)');
  });

  test('a 500 in between does not reset the permission wait, nor does a 403 count against DSKIT_ATTEMPTS', () => {
    const e500: Answer = { code: 500, body: JSON.stringify({ error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }) };
    const r = fetchToken('mixed', [denied, e500, denied, denied, e500, denied, granted]);
    expect(r.code).toBe(0);
    expect(r.printed).toBe(TOKEN);
    expect(r.secretCalls).toBe(7);
  });

  test('the token is in no log line', () => {
    const r = fetchToken('no-leak', [denied, granted]);
    expect(r.printed).toBe(TOKEN);
    expect(r.log.join('\n')).not.toContain(TOKEN);
    expect(r.log.join('\n')).not.toContain('ya29.vm-token');
  });
});
