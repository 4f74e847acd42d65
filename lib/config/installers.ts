/**
 * `manager.type: vision-one`: which Agent Installer package each VM needs (Trend's Agent Installer
 * offers Linux x86-64, Linux ARM64 (AArch64) and Windows packages: "Deploy agents with Server &
 * Workload Protection features"), where the files are, and the check that every VM has one.
 */
import * as path from 'node:path';
import type { CrossFieldIssue } from './cross-field';
import type { Cloud, InstallersConfig, ManagerConfig, SandboxConfig } from './schema';

export type InstallerKind = 'linux-x86_64' | 'linux-arm64' | 'windows';

export const INSTALLER_KINDS: readonly InstallerKind[] = ['linux-x86_64', 'linux-arm64', 'windows'];

/** The config key of a kind's package. */
export function installerKey(kind: InstallerKind): string {
  return kind === 'windows' ? 'manager.installers.windows' : `manager.installers.linux.${kind.slice('linux-'.length)}`;
}

/** What the Agent Installer calls it, for messages that say what to download. */
export function installerDescription(kind: InstallerKind): string {
  return { 'linux-x86_64': 'Linux, 64-bit (x86-64)', 'linux-arm64': 'Linux, ARM64 (AArch64)', windows: 'Windows' }[kind];
}

/** A VM's package: Windows, or Linux of its arch (GCP VMs are x86_64). */
export function installerKindOf(vm: { readonly os: string; readonly arch?: string }): InstallerKind {
  if (vm.os.startsWith('windows')) return 'windows';
  return vm.arch === 'arm64' ? 'linux-arm64' : 'linux-x86_64';
}

export function installerPathOf(installers: InstallersConfig, kind: InstallerKind): string | undefined {
  if (kind === 'windows') return installers.windows;
  return kind === 'linux-arm64' ? installers.linux.arm64 : installers.linux.x86_64;
}

/** Relative package paths are from the config file's folder (a user keeps them beside sandbox.yaml). */
export function resolveInstallerPaths(manager: ManagerConfig, configFile: string): ManagerConfig {
  if (manager.type !== 'vision-one') return manager;
  const dir = path.dirname(path.resolve(configFile));
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  const { linux, windows } = manager.installers;
  return { ...manager, installers: { linux: { x86_64: abs(linux.x86_64), arm64: abs(linux.arm64) }, windows: abs(windows) } };
}

/** The activation token's secret: only the token-activated managers (workload-security, dsm) have one. */
export function activationTokenSecretOf(manager: ManagerConfig): string | undefined {
  return manager.type === 'vision-one' ? undefined : manager.activationTokenSecret;
}

/** Every package kind the config's VMs need (count > 0) on the given clouds. */
export function neededInstallerKinds(config: SandboxConfig, clouds: readonly Cloud[]): InstallerKind[] {
  const kinds = new Set<InstallerKind>();
  for (const cloud of clouds) for (const vm of config[cloud]?.vms ?? []) if (vm.count > 0) kinds.add(installerKindOf(vm));
  return INSTALLER_KINDS.filter((k) => kinds.has(k));
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** On the raw YAML (cross-field.ts): with vision-one, every VM must have its OS and arch's package. */
export function installerIssues(raw: Raw): CrossFieldIssue[] {
  const manager = raw.manager;
  if (!isObject(manager) || manager.type !== 'vision-one') return [];
  const installers = isObject(manager.installers) ? manager.installers : {};
  const linux = isObject(installers.linux) ? installers.linux : {};
  const has = (kind: InstallerKind) =>
    typeof (kind === 'windows' ? installers.windows : kind === 'linux-arm64' ? linux.arm64 : linux.x86_64) === 'string';
  const issues: CrossFieldIssue[] = [];
  for (const cloud of ['aws', 'gcp'] as const) {
    const section = raw[cloud];
    const vms = isObject(section) && Array.isArray(section.vms) ? section.vms : [];
    vms.forEach((vm: unknown, i: number) => {
      if (!isObject(vm) || typeof vm.os !== 'string' || vm.count === 0) return;
      const arch = cloud === 'aws' && typeof vm.arch === 'string' ? vm.arch : 'x86_64';
      const kind = installerKindOf({ os: vm.os, arch });
      if (has(kind)) return;
      issues.push({
        path: [cloud, 'vms', i, 'os'],
        message:
          `no Agent Installer package for ${vm.os}${kind === 'windows' ? '' : ` ${arch}`}: set ${installerKey(kind)} to the file ` +
          `(Vision One: Endpoint Security > Endpoint Inventory > Agent Installer, Server & Workload Protection, ${installerDescription(kind)}; docs/vision-one.md)`,
      });
    });
  }
  return issues;
}
