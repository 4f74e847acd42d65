/**
 * Stand-in Agent Installer packages (TEST FIXTURES), in the shape Trend's are: the Linux package a
 * `.tar` with `tmxbc` at its top and the files it installs beside it (here: registration data naming
 * the manager double, and the stand-in agent), the Windows package a `.zip` with
 * `EndpointBasecamp.exe`. Named like the console's downloads.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { FIXTURE_DIR } from './assets';

/** What a package's registration data holds: the manager it registers with, and a secret of the tenant's. */
export interface Registration {
  readonly manager: string;
  readonly registrationToken: string;
}

/** The Linux package: `TMServerAgent_Linux_auto_<arch>_<manager>.tar`. */
export function buildLinuxInstaller(dir: string, registration: Registration, arch: 'x86_64' | 'aarch64' = 'x86_64'): string {
  const root = fs.mkdtempSync(path.join(dir, 'linux-installer-'));
  fs.copyFileSync(path.join(FIXTURE_DIR, 'stand-in-installer', 'tmxbc'), path.join(root, 'tmxbc'));
  fs.chmodSync(path.join(root, 'tmxbc'), 0o755);
  fs.writeFileSync(path.join(root, 'registration.json'), `${JSON.stringify(registration)}\n`);
  fs.mkdirSync(path.join(root, 'agent'));
  for (const f of ['ds_agent', 'dsa_query', 'dsa_control']) {
    fs.copyFileSync(path.join(FIXTURE_DIR, 'stand-in-agent', f), path.join(root, 'agent', f));
    fs.chmodSync(path.join(root, 'agent', f), 0o755);
  }
  const file = path.join(dir, `TMServerAgent_Linux_auto_${arch}_Server_-_Workload_Protection_Manager.tar`);
  execFileSync('tar', ['-cf', file, '-C', root, '--owner=0', '--group=0', 'tmxbc', 'registration.json', 'agent']);
  return file;
}

/** A zip of `entries` (name → content), stored, with Unix modes (so an executable stays one when unpacked). */
export function writeZip(file: string, entries: Readonly<Record<string, { data: Buffer | string; mode?: number }>>): string {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, { data, mode }] of Object.entries(entries)) {
    const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(body.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, body);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(0x031e, 4); // made by Unix, spec 3.0: external attributes carry the mode
    dir.writeUInt16LE(20, 6);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(body.length, 24);
    dir.writeUInt16LE(nameBytes.length, 28);
    dir.writeUInt32LE((((mode ?? 0o644) | 0o100000) << 16) >>> 0, 38);
    dir.writeUInt32LE(offset, 42);
    central.push(dir, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(file, Buffer.concat([...locals, dirBytes, end]));
  return file;
}
