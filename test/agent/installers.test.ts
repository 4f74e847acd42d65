/**
 * What preflight and synth say about an Agent Installer file: the right container with tmxbc or
 * EndpointBasecamp.exe, no name that says another OS or architecture, tmxbc's ELF architecture.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileSha256, inspectInstaller, installerPackage, InstallerPackageError } from '../../lib/agent/installers';
import { ConfigError } from '../../lib/config';
import { writeZip } from './support/installers';
import { standInInstallers, visionOneConfig, type StandInInstallers } from '../helpers/vision-one';

let dir: string;
let pkgs: StandInInstallers;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-inspect-'));
  pkgs = standInInstallers();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(pkgs.dir, { recursive: true, force: true });
});

/** A tar holding `tmxbc` with these first bytes. */
function tarWith(name: string, tmxbc: Buffer, member = 'tmxbc'): string {
  const root = fs.mkdtempSync(path.join(dir, 'root-'));
  fs.mkdirSync(path.dirname(path.join(root, member)), { recursive: true });
  fs.writeFileSync(path.join(root, member), tmxbc);
  const file = path.join(dir, name);
  execFileSync('tar', ['-cf', file, '-C', root, member.split('/')[0]]);
  return file;
}

/** The first 20 bytes of an ELF64 header of `machine`. */
const elf = (machine: number) => {
  const b = Buffer.alloc(64);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2;
  b.writeUInt16LE(machine, 18);
  return b;
};

describe('inspectInstaller', () => {
  test('the stand-in packages pass for their own kinds', () => {
    expect(inspectInstaller(pkgs.linuxX86, 'linux-x86_64').problem).toBeUndefined();
    expect(inspectInstaller(pkgs.windows, 'windows')).toEqual({ checked: expect.stringMatching(/^a \.zip with EndpointBasecamp\.exe/) });
  });

  test.each([
    ['a Linux package given for Windows', () => pkgs.linuxX86, 'windows' as const, /its name says linux x86_64, not Windows/],
    ['the x86_64 package given for arm64', () => pkgs.linuxX86, 'linux-arm64' as const, /its name says linux x86_64, not Linux, ARM64/],
    ['the Windows package given for Linux', () => pkgs.windows, 'linux-x86_64' as const, /its name says windows, not Linux, 64-bit/],
  ])('%s is refused by its name', (_what, file, kind, problem) => {
    expect(inspectInstaller(file(), kind).problem).toMatch(problem);
  });

  test('by content: an x86-64 tmxbc under an unhelpful name is refused for arm64, accepted for x86_64', () => {
    const file = tarWith('package.tar', elf(62));
    expect(inspectInstaller(file, 'linux-arm64').problem).toMatch(/its tmxbc is built for x86_64, not Linux, ARM64/);
    expect(inspectInstaller(file, 'linux-x86_64')).toEqual({ checked: expect.stringMatching(/^a \.tar with tmxbc for x86_64/) });
    expect(inspectInstaller(tarWith('arm.tar', elf(183)), 'linux-arm64').problem).toBeUndefined();
  });

  test('tmxbc may be in one top folder (a package unpacked into its own), no deeper', () => {
    expect(inspectInstaller(tarWith('folder.tar', elf(62), 'TMServerAgent/tmxbc'), 'linux-x86_64').problem).toBeUndefined();
    expect(inspectInstaller(tarWith('deep.tar', elf(62), 'a/b/tmxbc'), 'linux-x86_64').problem).toMatch(/holds no tmxbc/);
  });

  test.each([
    ['a missing file', () => path.join(dir, 'nope.tar'), 'linux-x86_64' as const, /no such file; download it in the Vision One console: Endpoint Security > Endpoint Inventory > Agent Installer/],
    ['an HTML page saved as .tar', () => (fs.writeFileSync(path.join(dir, 'page.tar'), '<html>sign in</html>'), path.join(dir, 'page.tar')), 'linux-x86_64' as const, /not a \.tar/],
    ['a tar without tmxbc', () => tarWith('other.tar', Buffer.from('x'), 'README'), 'linux-x86_64' as const, /holds no tmxbc/],
    ['a zip without EndpointBasecamp.exe', () => writeZip(path.join(dir, 'other.zip'), { 'setup.exe': { data: 'x' } }), 'windows' as const, /holds no EndpointBasecamp\.exe/],
    ['a tar given for Windows', () => tarWith('pkg-for-win.tar', elf(62)), 'windows' as const, /not a \.zip/],
  ])('%s is refused, saying where to get the package', (_what, file, kind, problem) => {
    expect(inspectInstaller(file(), kind).problem).toMatch(problem);
  });
});

describe('installerPackage: at render and synth', () => {
  test('the digest of the file, and its object name', () => {
    const config = visionOneConfig(pkgs);
    if (config.manager.type !== 'vision-one') throw new Error('vision-one expected');
    const pkg = installerPackage(config.manager, 'linux-x86_64');
    expect(pkg).toMatchObject({ file: pkgs.linuxX86, sha256: fileSha256(pkgs.linuxX86), objectName: `${fileSha256(pkgs.linuxX86)}.tar`, key: 'manager.installers.linux.x86_64' });
  });

  test('a wrong or missing file is a config error naming the key and the file: one line, exit 2', () => {
    const config = visionOneConfig({ ...pkgs, windows: pkgs.linuxX86 });
    if (config.manager.type !== 'vision-one') throw new Error('vision-one expected');
    let err: unknown;
    try {
      installerPackage(config.manager, 'windows');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InstallerPackageError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(new RegExp(`^manager\\.installers\\.windows: ${pkgs.linuxX86.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its name says linux`))]);
  });
});
