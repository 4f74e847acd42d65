/**
 * The Agent Installer packages of `manager.type: vision-one` as files on the user's machine: their
 * SHA-256 (pinned in each boot script, checked on the VM before anything is unpacked), the name
 * they get in the stack's storage, and what they are by content.
 *
 * Trend ("Deploy agents with Server & Workload Protection features"): the Linux package is a
 * `.tar` to unpack and run `./tmxbc install` in, the Windows one a `.zip` with `EndpointBasecamp.exe`;
 * "Do not rename, alter, or move any files or folders in the installation package". Downloaded
 * names look like `TMServerAgent_Linux_auto_x86_64_<manager>.tar` and
 * `TMServerAgent_Windows_auto_64_<manager>.zip` (playground-one's docs/integrations/endpoint-security.md);
 * users rename them, so a name only counts when it contradicts the key it is given for.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ConfigError,
  installerDescription,
  installerKey,
  installerPathOf,
  type InstallerKind,
  type VisionOneManagerConfig,
} from '../config';

/** Where the stack keeps a vision-one VM's Agent Installer package (AWS: an S3 object; GCP: a Cloud Storage object). */
export interface InstallerLocation {
  /** The bucket's name; on AWS a CDK token until deploy. */
  readonly bucket: string;
  /** The object's name in the bucket. */
  readonly object: string;
}

/** Until a stack says where the package is (`dskit agent-script`): a marked placeholder, like the wait handle's. */
export const INSTALLER_BUCKET_PLACEHOLDER = 'installer-bucket-is-set-at-deploy-time';

export interface InstallerPackage {
  readonly kind: InstallerKind;
  /** The config key it is set under: `manager.installers.linux.x86_64`. */
  readonly key: string;
  /** Absolute path on this machine. */
  readonly file: string;
  readonly ext: 'tar' | 'zip';
  /** Hex SHA-256 of the file. */
  readonly sha256: string;
  readonly bytes: number;
  /** Its name in the stack's storage (S3 asset key, GCS object): `<sha256>.<ext>`. */
  readonly objectName: string;
}

/**
 * A package file that is missing, unreadable or not what its key says: one line naming the key, the
 * file and the fix. A config problem (exit 2), found when a script is rendered or a stack synthesized.
 */
export class InstallerPackageError extends ConfigError {
  constructor(message: string) {
    super('', [message]);
    this.name = 'InstallerPackageError';
  }
}

export const INSTALLER_DOWNLOAD_HINT =
  'download it in the Vision One console: Endpoint Security > Endpoint Inventory > Agent Installer, Server & Workload Protection (docs/vision-one.md)';

const digests = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** SHA-256 of a file, streamed in chunks; cached per path while its size and mtime stay the same. */
export function fileSha256(file: string): string {
  const st = fs.statSync(file);
  const cached = digests.get(file);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.sha256;
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  digests.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

/** The package configured for `kind`, checked by content (inspectInstaller), with its digest. */
export function installerPackage(manager: VisionOneManagerConfig, kind: InstallerKind): InstallerPackage {
  const key = installerKey(kind);
  const file = installerPathOf(manager.installers, kind);
  if (file === undefined) throw new InstallerPackageError(`${key}: not set; a VM needs the ${installerDescription(kind)} package: ${INSTALLER_DOWNLOAD_HINT}`);
  const inspection = inspectInstaller(file, kind);
  if (inspection.problem) throw new InstallerPackageError(`${key}: ${file}: ${inspection.problem}`);
  const sha256 = fileSha256(file);
  const ext = kind === 'windows' ? 'zip' : 'tar';
  return { kind, key, file, ext, sha256, bytes: fs.statSync(file).size, objectName: `${sha256}.${ext}` };
}

export interface InstallerInspection {
  /** Why the file is not the package its key needs; undefined when it is. */
  readonly problem?: string;
  /** What was checked, for preflight's PASS line. */
  readonly checked: string;
}

/** An ELF binary's machine (e_machine): EM_X86_64 62, EM_AARCH64 183. */
const ELF_MACHINES: Record<number, 'x86_64' | 'arm64'> = { 62: 'x86_64', 183: 'arm64' };

/**
 * Whether `file` is the package `kind` needs: the right container (a tar with `tmxbc`, a zip with
 * `EndpointBasecamp.exe`, at the top or in one folder), no name that says another OS or
 * architecture, and for Linux, when `tmxbc` is an ELF binary, its architecture.
 */
export function inspectInstaller(file: string, kind: InstallerKind): InstallerInspection {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { checked: '', problem: `${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}; ${INSTALLER_DOWNLOAD_HINT}` };
  }
  try {
    const size = fs.fstatSync(fd).size;
    const name = path.basename(file);
    const wantArch = kind === 'linux-arm64' ? 'arm64' : 'x86_64';
    const nameOs = /windows/i.test(name) ? 'windows' : /linux/i.test(name) ? 'linux' : undefined;
    const nameArch = /aarch64|arm64/i.test(name) ? 'arm64' : /x86[_-]?64|amd64/i.test(name) ? 'x86_64' : undefined;
    const wrongName =
      (nameOs !== undefined && nameOs !== (kind === 'windows' ? 'windows' : 'linux')) ||
      (kind !== 'windows' && nameArch !== undefined && nameArch !== wantArch);
    if (wrongName) {
      return { checked: '', problem: `its name says ${[nameOs, nameArch].filter(Boolean).join(' ')}, not ${installerDescription(kind)}; ${INSTALLER_DOWNLOAD_HINT}` };
    }
    if (kind === 'windows') {
      const entries = zipEntries(fd, size);
      if (!entries) return { checked: '', problem: `not a .zip; the Windows Agent Installer package is a .zip: ${INSTALLER_DOWNLOAD_HINT}` };
      if (!entries.some((e) => isTopLevel(e, 'EndpointBasecamp.exe'))) {
        return { checked: '', problem: `the .zip holds no EndpointBasecamp.exe, so it is no Server & Workload Protection Agent Installer package; ${INSTALLER_DOWNLOAD_HINT}` };
      }
      return { checked: `a .zip with EndpointBasecamp.exe (${size} bytes)` };
    }
    const members = tarMembers(fd, size);
    if (!members) return { checked: '', problem: `not a .tar; the Linux Agent Installer package is a .tar: ${INSTALLER_DOWNLOAD_HINT}` };
    const tmxbc = members.find((m) => isTopLevel(m.name, 'tmxbc'));
    if (!tmxbc) return { checked: '', problem: `the .tar holds no tmxbc, so it is no Agent Installer package; ${INSTALLER_DOWNLOAD_HINT}` };
    const head = Buffer.alloc(20);
    fs.readSync(fd, head, 0, 20, tmxbc.offset);
    if (head.subarray(0, 4).toString('latin1') !== '\x7fELF') return { checked: `a .tar with tmxbc (not an ELF binary: its architecture is not checked) (${size} bytes)` };
    const arch = ELF_MACHINES[head.readUInt16LE(18)];
    if (arch !== wantArch) {
      return { checked: '', problem: `its tmxbc is built for ${arch ?? `ELF machine ${head.readUInt16LE(18)}`}, not ${installerDescription(kind)}; ${INSTALLER_DOWNLOAD_HINT}` };
    }
    return { checked: `a .tar with tmxbc for ${arch} (${size} bytes)` };
  } finally {
    fs.closeSync(fd);
  }
}

/** `tmxbc`, `./tmxbc` or `<folder>/tmxbc`. */
function isTopLevel(member: string, base: string): boolean {
  const parts = member.replace(/^\.\//, '').split('/').filter(Boolean);
  return parts[parts.length - 1] === base && parts.length <= 2;
}

interface TarMember {
  readonly name: string;
  /** Where its data starts in the file. */
  readonly offset: number;
}

/** The members of a (ustar, GNU or pax) tar, reading only its headers; undefined when it is not a tar. */
function tarMembers(fd: number, size: number): TarMember[] | undefined {
  const out: TarMember[] = [];
  const header = Buffer.alloc(512);
  let longName: string | undefined;
  for (let off = 0; off + 512 <= size; ) {
    fs.readSync(fd, header, 0, 512, off);
    if (header.every((b) => b === 0)) return out.length > 0 ? out : undefined;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    if (Number.parseInt(header.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8) !== sum) return undefined;
    const field = (a: number, b: number) => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const bytes = Number.parseInt(field(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const data = off + 512;
    if (type === 'L' || type === 'x') {
      const text = Buffer.alloc(Math.min(bytes, 4096));
      fs.readSync(fd, text, 0, text.length, data);
      longName = type === 'L' ? text.toString('utf8').replace(/\0.*$/s, '') : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text.toString('utf8'))?.[1];
    } else {
      const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? field(345, 500) : '';
      out.push({ name: longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)), offset: data });
      longName = undefined;
    }
    off = data + Math.ceil(bytes / 512) * 512;
  }
  return out.length > 0 ? out : undefined;
}

/** The entry names of a zip from its central directory; undefined when it is not a zip. */
function zipEntries(fd: number, size: number): string[] | undefined {
  const tail = Buffer.alloc(Math.min(size, 65_557));
  fs.readSync(fd, tail, 0, tail.length, size - tail.length);
  const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd + 22 > tail.length) return undefined;
  const count = tail.readUInt16LE(eocd + 10);
  const dirSize = tail.readUInt32LE(eocd + 12);
  const dirOffset = tail.readUInt32LE(eocd + 16);
  if (dirOffset + dirSize > size) return undefined;
  const dir = Buffer.alloc(dirSize);
  fs.readSync(fd, dir, 0, dirSize, dirOffset);
  const names: string[] = [];
  for (let p = 0, i = 0; i < count; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== 0x02014b50) return undefined;
    const n = dir.readUInt16LE(p + 28);
    names.push(dir.subarray(p + 46, p + 46 + n).toString('utf8'));
    p += 46 + n + dir.readUInt16LE(p + 30) + dir.readUInt16LE(p + 32);
  }
  return names;
}
