/** Test helpers: a vision-one config whose Agent Installer packages are stand-ins in a temp folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildLinuxInstaller, writeZip } from '../agent/support/installers';
import { configWith } from './config';
import type { SandboxConfig } from '../../lib/config';

export const REGISTRATION_TOKEN = 'dskit-test-registration-0000000000000000';

export interface StandInInstallers {
  readonly dir: string;
  readonly linuxX86: string;
  readonly linuxArm: string;
  readonly windows: string;
}

/** Stand-in packages of each kind (see test/agent/support/installers.ts). */
export function standInInstallers(manager = 'dsm.test.dskit.internal:4120'): StandInInstallers {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-installers-'));
  const registration = { manager, registrationToken: REGISTRATION_TOKEN };
  const x86 = path.join(dir, 'x86');
  const arm = path.join(dir, 'arm');
  fs.mkdirSync(x86);
  fs.mkdirSync(arm);
  return {
    dir,
    linuxX86: buildLinuxInstaller(x86, registration, 'x86_64'),
    linuxArm: buildLinuxInstaller(arm, registration, 'aarch64'),
    windows: writeZip(path.join(dir, 'TMServerAgent_Windows_auto_64_Server_-_Workload_Protection_Manager.zip'), {
      'EndpointBasecamp.exe': { data: `registration: ${JSON.stringify(registration)}\n`, mode: 0o755 },
    }),
  };
}

/** The example config as a vision-one sandbox with these packages; `edit` changes the raw YAML further. */
export function visionOneConfig(pkgs: StandInInstallers, edit: (raw: Record<string, any>) => void = () => {}): SandboxConfig {
  return configWith((raw) => {
    raw.manager = {
      type: 'vision-one',
      region: 'us-1',
      installers: { linux: { x86_64: pkgs.linuxX86, arm64: pkgs.linuxArm }, windows: pkgs.windows },
    };
    edit(raw);
  });
}
