/**
 * A real Debian 12 root filesystem for the boot-script end-to-end tests, built once with
 * debootstrap and cached outside the repo (rootfsCacheDir), shared by every clone. The cache key is the suite,
 * variant and include list, so changing what "a cloud image has" rebuilds it.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * `$DSKIT_CACHE_DIR`, else the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache`) `/dskit`:
 * one build per machine for every clone and worktree, and nothing large inside the repo.
 */
export function rootfsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DSKIT_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'dskit');
}
/** Where it was cached before: a complete rootfs there is still used (no rebuild after an update). */
const LEGACY_CACHE_DIR = path.join(REPO_ROOT, '.cache');

/** What a Debian 12 cloud image has that minbase lacks and the boot script may use. */
export const ROOTFS_INCLUDE = ['curl', 'ca-certificates', 'gpgv', 'procps'] as const;
const SUITE = 'bookworm';
const MIRROR = process.env.DSKIT_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

export function rootfsCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const key = createHash('sha256').update(`${SUITE}|minbase|${ROOTFS_INCLUDE.join(',')}`).digest('hex').slice(0, 12);
  const name = `debian12-rootfs-${key}`;
  const legacy = path.join(LEGACY_CACHE_DIR, name);
  if (!env.DSKIT_CACHE_DIR && fs.existsSync(path.join(legacy, '.dskit-complete'))) return legacy;
  return path.join(rootfsCacheDir(env), name);
}

/** The cached rootfs, built on first use (a few minutes; needs root and the Debian mirror). */
export function ensureRootfs(log: (line: string) => void = () => {}): string {
  const dir = rootfsCachePath();
  if (fs.existsSync(path.join(dir, '.dskit-complete'))) return dir;
  const tmp = `${dir}.building-${process.pid}`;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`building the Debian 12 rootfs with debootstrap into ${dir} (cached for later runs)`);
  const r = spawnSync(
    'debootstrap',
    ['--variant=minbase', `--include=${ROOTFS_INCLUDE.join(',')}`, SUITE, tmp, MIRROR],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`debootstrap failed (${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
  }
  // apt caches are not part of an image and only slow down every copy of it.
  fs.rmSync(path.join(tmp, 'var/cache/apt/archives'), { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'var/cache/apt/archives/partial'), { recursive: true });
  fs.writeFileSync(path.join(tmp, '.dskit-complete'), `${new Date().toISOString()}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}

if (require.main === module) {
  console.log(ensureRootfs(console.log));
}

/**
 * A writable copy of the rootfs `lower` at `<work>/root` with /proc mounted: an overlay (upper and
 * workdir beside it), or a full copy where overlayfs is missing (some containers: slower, the same).
 * Returns what was mounted, innermost last, for the caller to unmount in reverse.
 */
export function mountRootfsCopy(lower: string, work: string): string[] {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).slice(-2000)}`);
  };
  const root = path.join(work, 'root');
  for (const d of ['upper', 'overlay-work', 'root']) fs.mkdirSync(path.join(work, d), { recursive: true });
  const mounted: string[] = [];
  try {
    run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${work}/upper,workdir=${work}/overlay-work`, root]);
    mounted.push(root);
  } catch {
    run('cp', ['-a', `${lower}/.`, root]);
  }
  run('mount', ['-t', 'proc', 'proc', path.join(root, 'proc')]);
  mounted.push(path.join(root, 'proc'));
  return mounted;
}
