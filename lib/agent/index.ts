/**
 * Boot-script rendering (SPEC §4): the final script a VM runs (user data on AWS, startup script
 * on GCP), assembled from the generic install script in agents/ and the cloud's small pieces
 * (secret fetch, outcome report, event shipping). Imports neither aws-cdk-lib nor cdktf.
 */
import { vmsOf, type Cloud, type SandboxConfig, type VmConfig } from '../config';
import { renderLinux } from './linux';
import { scriptSettings } from './settings';
import { renderWindows } from './windows';

export type ScriptPlatform = 'linux' | 'windows';

/** EC2's limit on user data (before base64). */
export const AWS_USER_DATA_LIMIT = 16 * 1024;

import type { InstallerLocation } from './installers';

export { INSTALLER_BUCKET_PLACEHOLDER, type InstallerLocation } from './installers';

/** Optional for both clouds. */
interface CommonScriptParams {
  /** The manager's base URL, overriding the config's (`--manager-url`). @default from `manager` */
  readonly managerUrl?: string;
  /**
   * ASCII-armored OpenPGP key the Linux script verifies the agent package with.
   * @default agents/keys/ds-agent-signing-key.asc when it exists
   */
  readonly signingKey?: string;
  /**
   * vision-one: where the VM downloads its Agent Installer package from.
   * @default INSTALLER_BUCKET_PLACEHOLDER and the package's object name
   */
  readonly installer?: InstallerLocation;
}

/** What only the cloud knows at synth time (values may be CDK tokens / Terraform expressions). */
export interface AwsScriptParams extends CommonScriptParams {
  readonly cloud: 'aws';
  /** Region of the stack (Secrets Manager endpoint). */
  readonly region: string;
  /** The CloudFormation wait condition handle's pre-signed URL the script signals. */
  readonly waitHandleUrl: string;
  /** CloudWatch Logs group the events are shipped to: `/dskit/<sandbox>/ds-events`. */
  readonly logGroupName: string;
}

export interface GcpScriptParams extends CommonScriptParams {
  readonly cloud: 'gcp';
  /** Project holding the token secret (Secret Manager endpoint). */
  readonly project: string;
  /** Cloud Logging log name the Ops Agent writes events to. */
  readonly logName: string;
}

export type CloudScriptParams = AwsScriptParams | GcpScriptParams;

export interface BootScript {
  readonly platform: ScriptPlatform;
  /** `<sandbox>-<cloud>-<vm>-<n>` */
  readonly displayName: string;
  /** The complete script: bash for Linux; PowerShell (AWS: wrapped in <powershell>) for Windows. */
  readonly script: string;
  /** The same script with any compressed part inline, for people and linters. */
  readonly readable: string;
  /** Problems to fix before deploying (e.g. no signing key); the script renders anyway. */
  readonly warnings: readonly string[];
}

export function platformOf(vm: VmConfig): ScriptPlatform {
  return vm.os.startsWith('windows') ? 'windows' : 'linux';
}

export function findVm(config: SandboxConfig, cloud: Cloud, vmName: string): VmConfig {
  const vms = vmsOf(config, cloud);
  const vm = vms.find((v) => v.name === vmName);
  if (!vm) {
    const names = vms.map((v) => v.name);
    throw new Error(
      `no VM named "${vmName}" under ${cloud}.vms; ` + (names.length ? `the VMs there are: ${names.join(', ')}` : `${cloud}.vms is empty`),
    );
  }
  return vm;
}

/** Render the boot script of the `index`-th (from 1) instance of a VM. */
export function renderBootScript(config: SandboxConfig, vm: VmConfig, index: number, params: CloudScriptParams): BootScript {
  if (!Number.isInteger(index) || index < 1 || index > vm.count) {
    throw new RangeError(`VM "${vm.name}" index must be 1..${vm.count} (its count), got ${index}`);
  }
  const settings = scriptSettings(config, params.cloud, vm, index, params);
  const platform = platformOf(vm);
  const rendered = platform === 'linux' ? renderLinux(settings, params) : renderWindows(settings, params);
  const size = Buffer.byteLength(rendered.script, 'utf8');
  if (params.cloud === 'aws' && size > AWS_USER_DATA_LIMIT) {
    throw new Error(`the boot script of ${settings.displayName} is ${size} bytes, over EC2's ${AWS_USER_DATA_LIMIT}-byte user data limit`);
  }
  return { platform, displayName: settings.displayName, ...rendered, warnings: settings.warnings };
}
