/**
 * The agent signing key the Linux boot scripts verify packages with
 * (agents/keys/ds-agent-signing-key.asc). Trend ships it as `3trend_public.asc` in the root of
 * every agent `.zip` (from the Download Center, or exported from the manager) and documents the
 * file's SHA-256 — Trend Vision One docs, Server & Workload Protection > Administration > Manage
 * agents > Get agent software > "Check digital signatures of software packages"
 * (public mirror: eriktechwriter/agentic-docs-poc, trend-vision-one-docs/docs/endpoint-security/
 * server-workload-protection/administration/manage-agents-protected-computers/get-agent-software/
 * check-digital-signatures.md): key id E1051CBD ("Trend Micro (trend linux sign)"), fingerprint
 * CF5E BBC1 7D81 78A7 776C 1D36 5B09 AD42 E105 1CBD.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { platformOf } from '../../agent';
import { DEFAULT_SIGNING_KEY_FILE } from '../../agent/signing-key';
import { PACKAGE_ROOT, vmsOf, type Cloud, type SandboxConfig } from '../../config';
import { fail, pass, skip, warn, type Check } from './check';

/** Trend's file name (dskit's is agents/keys/ds-agent-signing-key.asc). */
export const TREND_KEY_FILE_NAME = '3trend_public.asc';

/** SHA-256 of 3trend_public.asc as Trend documents it, per agent release range. */
export const TREND_KEY_SHA256 = {
  current: 'bd3b00763db11cee2a6b990428d506f11cf86c68354388fe9cc41fa7e6c9ddae', // agents 20.0.0-2971 and later
  older: 'c59caa810a9dc9f4ecdf5dc44e3d1c8a6342932ca1c9573745ec9f1a82c118d7', // agents 20.0.0-2593 and earlier
} as const;
export const TREND_KEY_ID = 'E1051CBD';

const CHECK = 'agent signing key';
const KEY = 'manager.verifyPackageSignature';
const GET_IT = `save ${TREND_KEY_FILE_NAME} from the root of an agent .zip (Download Center, or exported from the manager) as agents/keys/ds-agent-signing-key.asc`;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const short = (hex: string) => `${hex.slice(0, 8)}…${hex.slice(-4)}`;

/** What the key file in agents/keys is, judged by its SHA-256 against Trend's documented values. */
export function signingKeyCheck(
  config: SandboxConfig,
  clouds: readonly Cloud[],
  file = DEFAULT_SIGNING_KEY_FILE,
  known: { readonly current: string; readonly older: string } = TREND_KEY_SHA256,
): Check {
  if (config.manager.type === 'vision-one') return skip(CHECK, "vision-one: each Agent Installer package's SHA-256 is pinned in the boot scripts instead", 'manager.type');
  if (!config.manager.verifyPackageSignature) return skip(CHECK, `${KEY} is false: the Linux VMs install the agent package unverified`, KEY);
  // Linux VMs verify the package; Windows checks the MSI's Authenticode signature instead.
  const linux = clouds.some((c) => vmsOf(config, c).some((vm) => vm.count > 0 && platformOf(vm) === 'linux'));
  if (!linux) return skip(CHECK, 'no Linux VM on these clouds (Windows checks the MSI\'s Authenticode signature)', KEY);
  const shown = path.relative(PACKAGE_ROOT, file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return fail(CHECK, `no key at ${shown}, so the Linux VMs would refuse the agent package`, `save Trend's ${TREND_KEY_FILE_NAME} (root of every agent .zip) as that file, or set ${KEY}: false`, KEY);
  }
  if (!/^-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(bytes.toString('utf8').trim())) {
    return fail(CHECK, `${shown} is not an ASCII-armored OpenPGP public key`, GET_IT, KEY);
  }
  // The file as saved; a copy whose line endings an editor or git turned into CRLF is the same key.
  const digests = new Set([sha256(bytes), sha256(bytes.toString('utf8').replace(/\r\n/g, '\n'))]);
  if (digests.has(known.current)) {
    return pass(CHECK, `${shown} is Trend's key for agents 20.0.0-2971 and later (key id ${TREND_KEY_ID}, SHA-256 ${short(known.current)})`, KEY);
  }
  if (digests.has(known.older)) {
    return warn(
      CHECK,
      `${shown} is Trend's older key file, for agents 20.0.0-2593 and earlier (SHA-256 ${short(known.older)}); current agents come with a renewed one`,
      `use ${TREND_KEY_FILE_NAME} from a current agent .zip (SHA-256 ${short(known.current)})`,
      KEY,
    );
  }
  return warn(
    CHECK,
    `${shown} is not the key Trend documents (its SHA-256 is ${short([...digests][0])}, Trend's ${short(known.current)}): the VMs will refuse Trend's packages unless this key signed them`,
    GET_IT,
    KEY,
  );
}
