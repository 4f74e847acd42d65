/**
 * The parse-once cache: each input file's parsed events as Parquet parts, keyed by the file's
 * identity (real path, device, inode, size, modification time) and the parser's version, so the
 * second and later reports on the same files skip the parse. A changed file, or a new dskit whose
 * parsing differs, simply misses. Standard input is never cached.
 *
 * Where: `$DSKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/dskit/events`, else `~/.cache/dskit/events`.
 * Safe to delete at any time. An entry appears whole or not at all (written aside, then renamed),
 * and writing one removes the entries of older versions of the same file.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Bump whenever the scanner, the parsed columns or their rules change: old entries then miss.
 * The GeoIP data's version is part of it too (the parts hold each source's country).
 */
export const PARSER_VERSION = `dskit-events-4+geoip-${(require('@ip-location-db/geo-whois-asn-country/package.json') as { version: string }).version}`;

export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.DSKIT_CACHE_DIR) return path.resolve(env.DSKIT_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'dskit', 'events');
}

/** What a cached entry remembers of its file besides the parts. */
export interface CachedSummary {
  readonly path: string;
  readonly lines: number;
  readonly events: number;
  readonly untimed: number;
  readonly tooLong: number;
  /** A few lines that held no event, for the "nothing parsed" message. */
  readonly samples: readonly string[];
  /** Part file names inside the entry. */
  readonly parts: readonly string[];
}

export interface FileIdentity {
  readonly key: string;
  readonly realPath: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export class EventCache {
  constructor(readonly dir: string) {}

  identity(file: string): FileIdentity {
    const realPath = fs.realpathSync(file);
    const s = fs.statSync(realPath);
    const key = createHash('sha256')
      .update(JSON.stringify([PARSER_VERSION, realPath, s.dev, s.ino, s.size, s.mtimeMs]))
      .digest('hex')
      .slice(0, 32);
    return { key, realPath, size: s.size, mtimeMs: s.mtimeMs };
  }

  private entry(key: string): string {
    return path.join(this.dir, key);
  }

  /** The cached parse of this identity, or null; the part paths are absolute. */
  lookup(id: FileIdentity): (CachedSummary & { readonly partPaths: string[] }) | null {
    const dir = this.entry(id.key);
    let summary: CachedSummary;
    try {
      summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    } catch {
      return null;
    }
    const partPaths = summary.parts.map((p) => path.join(dir, p));
    if (!partPaths.every((p) => fs.existsSync(p))) return null;
    return { ...summary, partPaths };
  }

  /** A fresh directory to write an entry's parts into before commit. */
  begin(id: FileIdentity): string {
    fs.mkdirSync(this.dir, { recursive: true });
    return fs.mkdtempSync(path.join(this.dir, `.${id.key}.`));
  }

  /**
   * Publishes the entry and returns its directory, or returns null (leaving the staging directory
   * to the caller) when the file changed while it was read; removes older entries of the same file.
   */
  commit(id: FileIdentity, staging: string, summary: CachedSummary): string | null {
    let now: FileIdentity;
    try {
      now = this.identity(id.realPath);
    } catch {
      now = { ...id, key: '' };
    }
    if (now.key !== id.key) return null;
    fs.writeFileSync(path.join(staging, 'summary.json'), JSON.stringify(summary));
    const target = this.entry(id.key);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    this.pruneOthers(id);
    return target;
  }

  abandon(staging: string): void {
    fs.rmSync(staging, { recursive: true, force: true });
  }

  private pruneOthers(id: FileIdentity): void {
    for (const name of fs.readdirSync(this.dir)) {
      if (name === id.key || name.startsWith('.')) continue;
      try {
        const s: CachedSummary = JSON.parse(fs.readFileSync(path.join(this.dir, name, 'summary.json'), 'utf8'));
        if (s.path === id.realPath) fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
      } catch {
        // not an entry of ours, or half gone: leave it
      }
    }
  }
}
