/**
 * agents/linux/aws/events.sh, the parts that decide whether rsyslog can write the events file
 * at all: on Ubuntu rsyslog drops its privileges to user `syslog`, and the boot script runs with
 * umask 077. Run in bash for real, against config files written here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/cli';

const EVENTS_SH = path.join(REPO_ROOT, 'agents', 'linux', 'aws', 'events.sh');

function bash(script: string): { stdout: string; status: number | null; stderr: string } {
  const r = spawnSync('bash', ['-c', `set -u; umask 077; source '${EVENTS_SH}'; ${script}`], { encoding: 'utf8' });
  return { stdout: r.stdout.trim(), status: r.status, stderr: r.stderr };
}

describe('events.sh: the directory rsyslog writes the events file into', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-events-'));
    fs.writeFileSync(path.join(dir, 'ubuntu.conf'), '# rsyslog.conf\n$FileOwner syslog\n$PrivDropToUser nobody\n$PrivDropToGroup nogroup\n');
    fs.writeFileSync(path.join(dir, 'rainerscript.conf'), 'global(workDirectory="/var/spool/rsyslog" privDropToUser="daemon")\n');
    fs.writeFileSync(path.join(dir, 'debian.conf'), '#$PrivDropToUser syslog\nmodule(load="imuxsock")\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the privilege-drop user is read from either config syntax; none when commented out or absent', () => {
    expect(bash(`rsyslog_user '${dir}/ubuntu.conf'`).stdout).toBe('nobody');
    expect(bash(`rsyslog_user '${dir}/rainerscript.conf'`).stdout).toBe('daemon');
    expect(bash(`rsyslog_user '${dir}/debian.conf' '${dir}/missing.conf'`).stdout).toBe('');
  });

  test('under the boot script\'s umask 077 the directory is still enterable by rsyslog (0755)', () => {
    const target = path.join(dir, 'plain', 'dskit');
    expect(bash(`prepare_events_dir '${target}' ''`).status).toBe(0);
    expect(fs.statSync(target).mode & 0o777).toBe(0o755);
  });

  const asRoot = process.getuid?.() === 0;
  (asRoot ? test : test.skip)('it belongs to the user rsyslog runs as (needs root to chown)', () => {
    const target = path.join(dir, 'dropped', 'dskit');
    expect(bash(`prepare_events_dir '${target}' "$(rsyslog_user '${dir}/ubuntu.conf')"`).status).toBe(0);
    expect(fs.statSync(target).uid).toBe(65534);
  });
  if (!asRoot) console.warn('events-script.test.ts: not root, so the chown to the rsyslog user is not exercised');
});
