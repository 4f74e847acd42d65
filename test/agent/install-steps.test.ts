/**
 * Single steps of agents/linux run for real on this machine, on paths the Debian 12 end-to-end test
 * cannot reach: the RPM signature check (RHEL/Amazon Linux), dpkg's lock at first boot, and the
 * Ops Agent configuration on GCP. Each test sources the scripts into a bash with the step's
 * inputs and stubs only what would touch the host (the system rpmdb, dpkg, systemctl, the network).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AGENTS_DIR } from '../../lib/agent/sources';

interface StepResult {
  readonly code: number | null;
  readonly output: string;
  readonly log: string;
  readonly outcome: string;
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-steps-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const quote = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;

/** Sources the generic script (and cloud pieces), then runs `body` with `vars` set. */
function runStep(name: string, vars: Record<string, string>, body: string, pieces: string[] = []): StepResult {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const sources = ['linux/install-agent.sh', ...pieces].map((p) => `source ${JSON.stringify(path.join(AGENTS_DIR, p))}`).join('\n');
  const assign = Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join('\n');
  const script = `${sources}
LOG_FILE=${JSON.stringify(path.join(dir, 'dskit.log'))}
DISPLAY_NAME=test-vm-1 PROXY='' TOKEN=''
DSKIT_WORK_DIR=${JSON.stringify(path.join(dir, 'work'))}
mkdir -p "$DSKIT_WORK_DIR"
dskit_report_outcome() { printf '%s %s\\n' "$1" "$2" >>${JSON.stringify(path.join(dir, 'outcome'))}; }
${assign}
${body}
`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  return { code: r.status, output: `${r.stdout}${r.stderr}`, log: read('dskit.log'), outcome: read('outcome') };
}

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const rpmTools = ['rpmbuild', 'rpmsign', 'rpmkeys', 'gpg'];
const rpmSkip = process.env.CI !== 'true' && rpmTools.some((t) => !has(t));
if (rpmSkip) console.warn(`\n*** SKIPPING the RPM signature tests: needs ${rpmTools.join(', ')} (apt-get install -y rpm gnupg). Under CI=true they run. ***\n`);

function sh(cmd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

(rpmSkip ? describe.skip : describe)('RPM signature check (verify_rpm_signature)', () => {
  let dir: string;
  let trustedKey: string;
  let trustedKeyId: string;
  const pkg = (name: string) => path.join(dir, `${name}.rpm`);

  /** A noarch package, signed by `signer` (a gpg user id) or not at all. */
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-rpm-'));
    const env = { ...process.env, GNUPGHOME: path.join(dir, 'gnupg') };
    fs.mkdirSync(env.GNUPGHOME!, { mode: 0o700 });
    for (const who of ['trusted', 'stranger']) {
      sh(`gpg --batch --passphrase '' --quick-gen-key '${who} <${who}@example.com>' rsa2048 sign never`, env);
    }
    trustedKey = sh('gpg --armor --export trusted@example.com', env);
    trustedKeyId = sh("gpg --with-colons --list-keys trusted@example.com | awk -F: '/^pub/{print $5; exit}'", env).trim().slice(-8).toLowerCase();
    fs.mkdirSync(path.join(dir, 'SPECS'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'SPECS/ds_agent.spec'),
      'Name: ds_agent\nVersion: 20.0\nRelease: 1\nSummary: stand-in\nLicense: none\nBuildArch: noarch\n%description\nstand-in\n' +
        '%install\nmkdir -p %{buildroot}/opt/ds_agent && echo stand-in > %{buildroot}/opt/ds_agent/README\n%files\n/opt/ds_agent/README\n',
    );
    sh(`rpmbuild --define "_topdir ${dir}" -bb ${dir}/SPECS/ds_agent.spec`, env);
    fs.copyFileSync(path.join(dir, 'RPMS/noarch/ds_agent-20.0-1.noarch.rpm'), pkg('unsigned'));
    for (const who of ['trusted', 'stranger']) {
      fs.copyFileSync(pkg('unsigned'), pkg(who));
      sh(`rpmsign --define "_gpg_name ${who}@example.com" --define "__gpg $(command -v gpg)" --addsign ${pkg(who)}`, env);
    }
    const full = fs.readFileSync(pkg('trusted'));
    fs.writeFileSync(pkg('truncated'), full.subarray(0, full.length - 200));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The system rpmdb is this machine's: the step's own `rpmkeys --import` goes to a scratch one.
  const verify = (name: string, file: string) =>
    runStep(
      `rpm-${name}`,
      { PKG: 'rpm', PACKAGE_FILE: file, VERIFY_SIGNATURE: '1', SIGNING_KEY_ARMORED: trustedKey },
      `SYSTEM_DB="$DSKIT_WORK_DIR/system-rpmdb"; mkdir -p "$SYSTEM_DB"
rpmkeys() { if [[ " $* " == *" --dbpath "* ]]; then command rpmkeys "$@"; else command rpmkeys --dbpath "$SYSTEM_DB" "$@"; fi; }
check_package_shape && verify_package_signature && echo VERIFIED
echo "system keys: $(rpm --dbpath "$SYSTEM_DB" -q gpg-pubkey 2>/dev/null)"`,
      ['linux/classic.sh', 'linux/verify-rpm.sh'],
    );

  test('a package signed with the rendered key passes, and the log names the key id', () => {
    const r = verify('trusted', pkg('trusted'));
    expect(r.output).toContain('VERIFIED');
    expect(r.log).toMatch(new RegExp(`signature verified: rpmkeys --checksig of agent\\.rpm against the rendered agent signing key only: .*Signature, key ID ${trustedKeyId}: OK`));
    // Imported into the system rpmdb afterwards, so `rpm -i` does not warn about an unknown key.
    expect(r.output).toContain(`system keys: gpg-pubkey-${trustedKeyId}`);
  });

  test.each([
    ['unsigned', /the .rpm is not signed \(rpmkeys: digests OK, no signature\); refusing to install it/],
    ['stranger', /signature does not verify against the agent signing key .*refusing to install it/],
    ['truncated', /fails its digest check \(truncated or corrupt\)/],
  ])('a %s package is refused, with the reason reported as the outcome', (name, reason) => {
    const r = verify(name, pkg(name));
    expect(r.code).toBe(1);
    expect(r.output).not.toContain('VERIFIED');
    expect(r.outcome).toMatch(new RegExp(`^FAILURE .*${reason.source}`));
  });
});

describe('dpkg -i while another package operation holds the lock (pkg-deb.sh pkg_install_file)', () => {
  const LOCKED = 'dpkg: error: dpkg frontend lock was locked by another process with pid 812';
  /** A stand-in dpkg that fails with `failures` before succeeding; sleep is instant. */
  const install = (name: string, failures: string[], timeout = '600') =>
    runStep(
      `dpkg-${name}`,
      { DSKIT_DPKG_LOCK_TIMEOUT: timeout },
      `CALLS="$DSKIT_WORK_DIR/calls"; : >"$CALLS"
FAILURES=(${failures.map((f) => JSON.stringify(f)).join(' ')})
dpkg() { local n; n=$(wc -l <"$CALLS"); echo "$*" >>"$CALLS"; if ((n < \${#FAILURES[@]})); then echo "\${FAILURES[n]}"; return 2; fi; echo "Setting up ds-agent"; }
sleep() { SECONDS=$((SECONDS + $1)); }
if out=$(pkg_install_file /tmp/agent.deb); then echo "OK: $out"; else echo "FAILED: $out"; fi
echo "calls: $(wc -l <"$CALLS")"`,
      ['linux/pkg-deb.sh'],
    );

  test('waits for the lock and installs once it is free', () => {
    const r = install('busy', [LOCKED, LOCKED]);
    expect(r.output).toContain('OK: Setting up ds-agent');
    expect(r.output).toContain('calls: 3');
    expect(r.log).toContain('dpkg is busy (another package operation holds its lock); waiting');
  });

  test('any other dpkg error fails at once', () => {
    const r = install('broken', ['dpkg: error processing archive /tmp/agent.deb (--install): corrupted filesystem tarfile']);
    expect(r.output).toContain('FAILED: dpkg: error processing archive');
    expect(r.output).toContain('calls: 1');
  });

  test('a lock that is never released fails after the timeout', () => {
    const r = install('stuck', Array(1000).fill(LOCKED), '30');
    expect(r.output).toContain(`FAILED: ${LOCKED}`);
    expect(r.output).toMatch(/calls: [5-8]\n/);
  });
});

describe('GCP event shipping: the Ops Agent configuration (dskit_setup_events)', () => {
  let r: StepResult;
  let config: any;

  beforeAll(() => {
    r = runStep(
      'ops-agent',
      { LOG_NAME: 'ds-events', SYSLOG_PORT: '5514', OPS_AGENT_CONFIG: path.join(work, 'ops-agent', 'etc', 'config.yaml') },
      // A first boot: the repository script is "downloaded" (a stand-in that records its arguments).
      `curl_tls() { local out; while (($#)); do [[ $1 == -o ]] && out=$2; shift; done; printf 'echo "installer $*" >>%q\\n' "$LOG_FILE" >"$out"; }
systemctl() { echo "systemctl $*"; }
dskit_setup_events && echo CONFIGURED`,
      ['linux/gcp/events.sh'],
    );
    const file = path.join(work, 'ops-agent', 'etc', 'config.yaml');
    config = fs.existsSync(file) ? parseYaml(fs.readFileSync(file, 'utf8')) : undefined;
  });

  test('a syslog receiver on 127.0.0.1:<syslogPort>/udp whose id is the log name the sink filters on', () => {
    expect(config.logging.receivers).toEqual({
      'ds-events': { type: 'syslog', transport_protocol: 'udp', listen_host: '127.0.0.1', listen_port: 5514 },
    });
    expect(config.logging.service.pipelines.dskit_ds_events).toEqual({ receivers: ['ds-events'] });
    // Only logging is overridden: the built-in metrics and syslog file pipelines stay.
    expect(Object.keys(config)).toEqual(['logging']);
  });

  test('installs the Ops Agent with its repository script, then restarts it with the new configuration', () => {
    expect(r.log).toContain('installer --also-install');
    expect(r.output).toContain('systemctl restart google-cloud-ops-agent');
    expect(r.output).toContain('CONFIGURED');
  });
});
