/**
 * Steps of the Linux boot script that decide an AWS deploy's outcome, run in bash for real:
 * - json_field decodes JSON strings (every escape), so a token saved with a trailing newline or
 *   any other escaped character arrives as it was stored;
 * - the download and dsa_control retry loops stop at the run's deadline (DSKIT_DEADLINE, from
 *   aws.activationTimeoutMinutes), so the VM reports FAILURE with its reason before the wait
 *   condition times out;
 * - the FAILURE reason is cut before it is JSON-encoded, so the signal always parses;
 * - event shipping waits for the package lock like the agent install does, and the outcome's
 *   warning names what failed;
 * - Debian 12 and RHEL 9 get the SSM agent (Session Manager, the private-mode admin path) from
 *   AWS's regional package location, after activation and best effort.
 * Only what would touch the host or the network is stubbed (curl, dpkg, apt-get, sleep, dsa_control).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bashQuote } from '../../lib/agent/shell';
import { AGENTS_DIR } from '../../lib/agent/sources';

let work: string;
beforeAll(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-aws-steps-'))));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly log: string;
}

let counter = 0;
/** Sources the generic script and the AWS pieces, sets the usual settings, then runs `body`. */
function run(body: string, vars: Record<string, string> = {}): Run {
  const dir = path.join(work, String(++counter));
  fs.mkdirSync(path.join(dir, 'work'), { recursive: true });
  const sources = ['install-agent.sh', 'pkg-deb.sh', 'classic.sh', 'verify-deb.sh', 'aws/sigv4.sh', 'aws/secret.sh', 'aws/outcome.sh', 'aws/events.sh', 'aws/distro-deb.sh', 'aws/admin.sh'].map((f) => `source ${bashQuote(path.join(AGENTS_DIR, 'linux', f))}`);
  const settings = { DSKIT_ATTEMPTS: '8', DSKIT_BACKOFF_CAP: '30', DSKIT_BUDGET_SECONDS: '1080', ...vars };
  const script = [
    ...Object.entries(settings).map(([k, v]) => `${k}=${bashQuote(v)}`),
    ...sources,
    `LOG_FILE=${bashQuote(path.join(dir, 'dskit.log'))} DSKIT_WORK_DIR=${bashQuote(path.join(dir, 'work'))}`,
    "DISPLAY_NAME=lab-aws-web-1 PROXY='' TOKEN='' MANAGER_URL=https://dsm.example.com:4119 TENANT_NUMERIC_ID=0 PLATFORM=Debian_12 ARCH=x86_64 PKG=deb",
    body,
  ].join('\n');
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  const logFile = path.join(dir, 'dskit.log');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, log: fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '' };
}

describe('json_field: JSON strings decoded, every escape', () => {
  const field = (json: string, key: string) => run(`json_field ${bashQuote(json)} ${key} | od -An -tx1 -v | tr -d ' \\n'; echo " rc=\${PIPESTATUS[0]}"`).stdout.trim();
  const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

  test.each([
    ['a token saved with a trailing newline', JSON.stringify({ SecretString: 'ABCD-1234\n' }), 'ABCD-1234\n'],
    ['every two-character escape', JSON.stringify({ SecretString: 'q"b\\s/t\tr\rn\nf\fb\b' }), 'q"b\\s/t\tr\rn\nf\fb\b'],
    ['escaped solidus', '{"SecretString":"a\\/b"}', 'a/b'],
    ['\\u escapes of ASCII, Latin-1, CJK and a surrogate pair', '{"SecretString":"\\u0041\\u00e9\\u65e5\\ud83d\\ude00"}', 'Aé日😀'],
    ['UTF-8 as is', JSON.stringify({ SecretString: 'Grüße 東京' }), 'Grüße 東京'],
    ['a value that looks like the key is not taken for it', JSON.stringify({ Name: '","SecretString":"decoy', SecretString: 'real' }), 'real'],
    ['whitespace around the colon', '{ "SecretString" :  "spaced" }', 'spaced'],
  ])('%s', (_name, json, expected) => {
    expect(field(json, 'SecretString')).toBe(`${hex(expected)} rc=0`);
  });

  test('a missing key fails', () => {
    expect(field('{"Other":"x"}', 'SecretString')).toBe('rc=1');
  });

  test('the boot script then accepts a token saved with `echo` (trailing newline), and refuses one with inner garbage', () => {
    const token = '3F2504E0-4F89-11D3-9A0C-0305E82C3301';
    const check = (secret: string) =>
      run(`TOKEN=$(json_field ${bashQuote(JSON.stringify({ SecretString: secret }))} SecretString); TOKEN=\${TOKEN//[$' \\t\\r\\n']/}; [[ $TOKEN =~ ^[A-Za-z0-9-]{8,128}$ ]] && echo "OK $TOKEN" || echo REFUSED`).stdout.trim();
    expect(check(`${token}\n`)).toBe(`OK ${token}`);
    expect(check(`${token}\r\n`)).toBe(`OK ${token}`);
    expect(check(`${token}"x`)).toBe('REFUSED');
  });
});

describe('the retry loops stop at the run\'s deadline', () => {
  // sleep advances bash's clock instead of waiting; fail is the real one, reporting through a stub.
  const clock = 'sleep() { SECONDS=$((SECONDS + ${1%.*})); }\ndskit_report_outcome() { printf "%s %s\\n" "$1" "$2"; }';

  test('download: with 100 s of budget left it gives up before a backoff would pass the deadline, and says so', () => {
    const r = run(
      `${clock}
DSKIT_DEADLINE=$((SECONDS + 100))
curl_tls() { echo "curl $*" >>"$DSKIT_WORK_DIR/calls"; echo "000"; return 7; }
download_package`,
      { DSKIT_ATTEMPTS: '20', DSKIT_BACKOFF_CAP: '30' },
    );
    expect(r.code).toBe(1);
    const calls = fs.readFileSync(path.join(work, String(counter), 'work', 'calls'), 'utf8').trim().split('\n');
    // Attempts at 0, 1, 3, 7, 15, 31, 61 and 91 s (backoffs 1, 2, 4, 8, 16, 30, 30); the next 30 s would end past the deadline.
    expect(calls).toHaveLength(8);
    expect(r.stdout).toMatch(/^FAILURE could not download the agent package from https:\/\/dsm\.example\.com:4119 after 8 attempts \(the boot script's 1080s budget ran out\)/);
    // No attempt may outlast the deadline either: curl's --max-time is what is left of it.
    // (A real second of a loaded machine may tick in between: bash's clock is SECONDS.)
    expect(calls[0]).toMatch(/--max-time (99|100) /);
    expect(calls[6]).toMatch(/--max-time 3[5-9] /);
    expect(calls[7]).toMatch(/--max-time [5-9] /);
  });

  test('download: enough budget means the usual bounded attempts, with no budget note', () => {
    const r = run(`${clock}\ncurl_tls() { echo "000"; return 7; }\ndownload_package`, { DSKIT_ATTEMPTS: '3' });
    expect(r.stdout).toMatch(/^FAILURE could not download the agent package from \S+ after 3 attempts \(last: curl exit 7/);
  });

  test('activation: dsa_control -a retries stop at the deadline, and the reason says how many attempts were made', () => {
    const r = run(
      `${clock}
DSKIT_DEADLINE=$((SECONDS + 20))
AGENT_DIR="$DSKIT_WORK_DIR/agent"; mkdir -p "$AGENT_DIR"
printf '#!/bin/bash\\n[[ $1 == -r ]] && exit 0\\necho "HTTP Status: 403 - Forbidden"; exit 1\\n' >"$AGENT_DIR/dsa_control"; chmod +x "$AGENT_DIR/dsa_control"
ACTIVATION_URL=dsm://dsm.example.com:4120/ TENANT_ID='' POLICY_ID=9 GROUP_ID=0 RELAY_GROUP_ID=0 TOKEN=ABCDEFGH-1234
activate`,
      { DSKIT_ATTEMPTS: '10' },
    );
    expect(r.code).toBe(1);
    // Backoffs 1, 2, 4, 8 = 15 s; the next (16) would pass the 20 s deadline: 5 attempts.
    expect(r.stdout).toMatch(/^FAILURE activation was refused after 5 attempts \(the boot script's 1080s budget ran out\): HTTP Status: 403 - Forbidden$/m);
    expect(r.log.match(/dsa_control activation attempt \d+\/10 did not succeed/g)).toHaveLength(5);
  });
});

describe('the FAILURE reason is cut before it is encoded', () => {
  /** The JSON the wait condition handle receives for a reason. */
  const signal = () => {
    const r = run(`WAIT_HANDLE_URL=https://handle.example/x
curl_tls() { cat >"$DSKIT_WORK_DIR/signal.json"; }
cloud_report_outcome_once FAILURE "$(cat ${bashQuote(path.join(work, 'reason.txt'))})"
cat "$DSKIT_WORK_DIR/signal.json"`, {});
    return r.stdout.split('\n').filter(Boolean).pop()!;
  };
  const withReason = (reason: string) => {
    fs.writeFileSync(path.join(work, 'reason.txt'), reason);
    return signal();
  };

  test.each([
    ['quotes and backslashes across the cut', `${'x'.repeat(897)}"\\"\\"\\ and more`],
    ['backslashes only', '\\'.repeat(1200)],
    ['a multi-byte character across the cut', `${'y'.repeat(899)}€ tail`],
    ['control characters', `bad\u0001\u001b[31mred\u0007 line\ttab\r\nnext`],
  ])('%s: the signal is valid JSON, its reason at most 900 bytes of the original', (_name, reason) => {
    const body = withReason(reason);
    const parsed = JSON.parse(body);
    expect(parsed).toMatchObject({ Status: 'FAILURE', UniqueId: 'lab-aws-web-1', Data: 'FAILURE' });
    expect(Buffer.byteLength(parsed.Reason, 'utf8')).toBeLessThanOrEqual(900);
    expect(parsed.Reason).not.toMatch(/[\u0000-\u001f]/);
    expect(reason.replace(/[\u0000-\u001f]/g, ' ').startsWith(parsed.Reason)).toBe(true);
    expect(parsed.Reason).not.toContain('\ufffd');
  });
});

describe('event shipping waits for the package lock, and the warning names what failed', () => {
  const LOCKED = 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)';
  // apt-get reports the lock `locked` times, then succeeds; no dnf; no network.
  const stubs = (locked: number) => `
sleep() { SECONDS=$((SECONDS + \${1%.*})); }
command() { if [[ $1 == -v && $2 == dnf ]]; then return 1; fi; if [[ $1 == -v && $2 == rsyslogd ]]; then return 1; fi; builtin command "$@"; }
apt-get() { local n; n=$(cat "$DSKIT_WORK_DIR/n" 2>/dev/null || echo 0); echo $((n + 1)) >"$DSKIT_WORK_DIR/n"; echo "apt-get $*" >>"$DSKIT_WORK_DIR/calls"; if ((n < ${locked})); then echo '${LOCKED}' >&2; return 100; fi; echo "ok"; }
`;

  test('rsyslog install: apt-get waits while cloud-init holds the lock, then installs', () => {
    const r = run(`${stubs(3)}\nif out=$(pkg_install rsyslog); then echo INSTALLED; else echo "FAILED: $out"; fi`);
    expect(r.stdout.trim()).toBe('INSTALLED');
    expect(r.log).toContain('apt-get is busy (another package operation holds its lock); waiting');
    const calls = fs.readFileSync(path.join(work, String(counter), 'work', 'calls'), 'utf8').trim().split('\n');
    expect(calls.filter((c) => c.startsWith('apt-get update'))).toHaveLength(4);
    expect(calls.filter((c) => c.startsWith('apt-get install'))).toHaveLength(1);
  });

  test('a lock held past the timeout: the outcome warning says the rsyslog install failed on the package lock', () => {
    const r = run(
      `${stubs(10_000)}
finish_stub() { if ! out=$(dskit_setup_events 2>&1); then warn "event shipping: \${out##*$'\\n'}"; fi; printf '%s\\n' "\${WARNINGS[@]}"; }
finish_stub`,
      { DSKIT_DPKG_LOCK_TIMEOUT: '60' },
    );
    // The clock is bash's SECONDS (sleep advances it); real seconds of a loaded machine may add to it.
    expect(r.stdout.trim()).toMatch(
      /^event shipping: rsyslog is missing and could not be installed: apt-get update failed: apt-get: the package lock was still held by another process after (5[5-9]|6[0-4])s$/,
    );
  });

  test('the CloudWatch agent .deb goes through the same lock wait as the agent package', () => {
    const r = run(`sleep() { SECONDS=$((SECONDS + \${1%.*})); }
CWAGENT_DIR="$DSKIT_WORK_DIR/cwagent"
command() { if [[ $1 == -v && $2 == dnf ]]; then return 1; fi; builtin command "$@"; }
curl_tls() { while (($#)); do [[ $1 == -o ]] && : >"$2"; shift; done; }
dpkg() { local n; n=$(cat "$DSKIT_WORK_DIR/n" 2>/dev/null || echo 0); echo $((n + 1)) >"$DSKIT_WORK_DIR/n"; if ((n < 2)); then echo 'dpkg: error: dpkg frontend lock was locked by another process with pid 77'; return 2; fi; echo "Setting up amazon-cloudwatch-agent"; }
if out=$(install_cloudwatch_agent); then echo INSTALLED; else echo "FAILED: $out"; fi`);
    expect(r.stdout.trim()).toBe('INSTALLED');
    expect(r.log).toContain('dpkg is busy (another package operation holds its lock); waiting');
  });
});

describe('the SSM agent on images that lack it (dskit_setup_admin_access)', () => {
  // A Debian-like host: dpkg, no SSM agent; curl "downloads" by recording the URL.
  const debian = (extra = '') => `
AWS_REGION=ap-northeast-1
ssm_agent_present() { [[ -e "$DSKIT_WORK_DIR/ssm-installed" ]]; }
uname() { [[ $1 == -m ]] && echo "\${FAKE_MACHINE:-x86_64}"; }
curl_tls() { local out=''; while (($#)); do [[ $1 == -o ]] && out=$2 && shift; [[ $1 == https://* ]] && echo "$1" >>"$DSKIT_WORK_DIR/urls"; shift; done; : >"$out"; }
dpkg() { echo "dpkg $*" >>"$DSKIT_WORK_DIR/calls"; : >"$DSKIT_WORK_DIR/ssm-installed"; }
systemctl() { echo "systemctl $*" >>"$DSKIT_WORK_DIR/calls"; }
${extra}
if out=$(dskit_setup_admin_access); then echo INSTALLED; else echo "FAILED: $out"; fi
cat "$DSKIT_WORK_DIR/urls" "$DSKIT_WORK_DIR/calls" 2>/dev/null`;

  test('Debian 12 x86_64: the regional .deb, installed under the package-lock wait, then the service enabled and started', () => {
    const r = run(debian());
    expect(r.stdout.trim().split('\n')).toEqual([
      'INSTALLED',
      'https://s3.ap-northeast-1.amazonaws.com/amazon-ssm-ap-northeast-1/latest/debian_amd64/amazon-ssm-agent.deb',
      expect.stringMatching(/^dpkg -i .*\/amazon-ssm-agent\.deb$/),
      'systemctl enable --now amazon-ssm-agent',
    ]);
    expect(r.log).toContain('admin access: SSM agent installed from https://s3.ap-northeast-1.amazonaws.com/amazon-ssm-ap-northeast-1/latest');
  });

  test('RHEL 9 arm64: the regional linux_arm64 .rpm', () => {
    // An .rpm system's script has pkg-rpm.sh where a .deb system's has pkg-deb.sh.
    const r = run(debian(`source ${bashQuote(path.join(AGENTS_DIR, 'linux', 'pkg-rpm.sh'))}
rpm() { echo "rpm $*" >>"$DSKIT_WORK_DIR/calls"; }
FAKE_MACHINE=aarch64`));
    expect(r.stdout).toContain('https://s3.ap-northeast-1.amazonaws.com/amazon-ssm-ap-northeast-1/latest/linux_arm64/amazon-ssm-agent.rpm');
    expect(r.stdout).toMatch(/rpm -U --replacepkgs .*amazon-ssm-agent\.rpm/);
  });

  test('an image that has it (Amazon Linux, Ubuntu) is left alone', () => {
    const r = run(debian(': >"$DSKIT_WORK_DIR/ssm-installed"'));
    expect(r.stdout.trim()).toBe('INSTALLED');
  });

  test('a failed download is a warning in the SUCCESS outcome, naming what failed; the agent stays activated', () => {
    const r = run(`dskit_setup_events() { return 0; }
dskit_report_outcome() { printf '%s %s\n' "$1" "$2"; }
AWS_REGION=eu-west-3 EXPIRES_AFTER_HOURS=0
ssm_agent_present() { return 1; }
curl_tls() { echo "curl: (6) Could not resolve host: s3.eu-west-3.amazonaws.com" >&2; return 6; }
finish activated`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(
      'SUCCESS activated; warning: admin access: downloading https://s3.eu-west-3.amazonaws.com/amazon-ssm-eu-west-3/latest/debian_amd64/amazon-ssm-agent.deb failed: curl: (6) Could not resolve host: s3.eu-west-3.amazonaws.com',
    );
  });
});
