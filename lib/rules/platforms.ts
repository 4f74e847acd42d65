/**
 * Which platform an IPS rule protects. The v1 API's IntrusionPreventionRule has no platform field
 * (the catalog's model lists none; the console's rule list shows none either), so dskit reads what
 * Trend's rule and application type names say: "Microsoft Windows SMB ...", "Linux Kernel ...".
 * A rule that names neither is for any platform. This is a heuristic, and it errs towards
 * staging: a rule is left out only when its name says it is for a platform the sandbox lacks.
 */
import type { VmOs } from '../config';

export type RulePlatform = 'windows' | 'linux';

/** Names of Windows-only software: Windows itself and Microsoft products that run only there. */
const WINDOWS = /\b(windows|win32|microsoft (iis|exchange|sharepoint|office|outlook|word|excel|edge|internet explorer|dns server|remote desktop|rpc)|internet explorer|iis|remote desktop protocol|ms-rpc|dcerpc|netlogon|active directory)\b/i;
/** Names of Linux/Unix-only software. */
const LINUX = /\b(linux|unix|glibc|polkit|sudo|systemd|samba)\b/i;

/** The platform a rule is for, from its name and its application type's, or undefined for any. */
export function rulePlatform(ruleName: string | undefined, applicationTypeName?: string): RulePlatform | undefined {
  const text = `${ruleName ?? ''} ${applicationTypeName ?? ''}`;
  const windows = WINDOWS.test(text);
  const linux = LINUX.test(text);
  if (windows === linux) return undefined; // neither, or both ("Samba ... Windows"): any platform
  return windows ? 'windows' : 'linux';
}

export function platformOfOs(os: VmOs): RulePlatform {
  return os.startsWith('windows') ? 'windows' : 'linux';
}
