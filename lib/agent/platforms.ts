/**
 * What a VM's OS means for its boot script: the platform name the manager gives its packages (the
 * script's detect_platform checks the VM really runs it), the package family the classic install
 * path verifies and installs, and whether the cloud image lacks the SSM agent (AWS docs: "SSM
 * Agent is preinstalled on ... Amazon Linux 2023 ... Ubuntu Server", not on Debian or RHEL:
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/ami-preinstalled-agent.html).
 */
import type { Arch, VmOs } from '../config';

export type PackageFamily = 'deb' | 'rpm';

interface LinuxOsFacts {
  /** `/software/agent/<platform>/...`, and what detect_platform calls the running OS. */
  readonly platform: string;
  /** A bash glob of /etc/os-release's `ID:VERSION_ID` on that OS (detect_platform checks it). */
  readonly osRelease: string;
  readonly family: PackageFamily;
  /** The cloud image ships the SSM agent (AWS Session Manager). */
  readonly ssmAgent: boolean;
}

const LINUX_OS: Readonly<Record<Exclude<VmOs, 'windows-2022'>, LinuxOsFacts>> = {
  'amazon-linux-2023': { platform: 'amzn2023', osRelease: 'amzn:2023*', family: 'rpm', ssmAgent: true },
  'ubuntu-22.04': { platform: 'Ubuntu_22.04', osRelease: 'ubuntu:22.04', family: 'deb', ssmAgent: true },
  'ubuntu-24.04': { platform: 'Ubuntu_24.04', osRelease: 'ubuntu:24.04', family: 'deb', ssmAgent: true },
  // RHEL's rebuilds (Rocky, AlmaLinux) run the same packages.
  'rhel-9': { platform: 'RedHat_EL9', osRelease: '@(rhel|rocky|almalinux):9*', family: 'rpm', ssmAgent: false },
  'debian-12': { platform: 'Debian_12', osRelease: 'debian:12*', family: 'deb', ssmAgent: false },
};

export function linuxOsFacts(os: VmOs): LinuxOsFacts {
  const facts = (LINUX_OS as Record<string, LinuxOsFacts | undefined>)[os];
  if (!facts) throw new Error(`${os} is not a Linux OS dskit knows`);
  return facts;
}

/** The architecture as `uname -m` and the manager name it (arm64 is aarch64). */
export function unameArch(arch: Arch): 'x86_64' | 'aarch64' {
  return arch === 'arm64' ? 'aarch64' : 'x86_64';
}
