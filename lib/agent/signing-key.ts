/**
 * The OpenPGP public key the Linux scripts verify the agent package with
 * (`manager.verifyPackageSignature`). It is Trend Micro's agent signing key, which dskit does not
 * ship: put it, ASCII-armored, at agents/keys/ds-agent-signing-key.asc (see docs/agent.md), or
 * pass `signingKey` to the renderer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENTS_DIR } from './sources';

export const DEFAULT_SIGNING_KEY_FILE = path.join(AGENTS_DIR, 'keys', 'ds-agent-signing-key.asc');

const ARMOR = /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n[\s\S]+?\r?\n-----END PGP PUBLIC KEY BLOCK-----\s*$/;

/** Checks the armor, so a wrong file fails at synth with its name, not at boot on every VM. */
export function checkSigningKey(armored: string, source: string): string {
  const text = armored.trim();
  if (!ARMOR.test(text)) {
    throw new Error(`${source}: not an ASCII-armored OpenPGP public key (expected -----BEGIN PGP PUBLIC KEY BLOCK-----)`);
  }
  return `${text.replace(/\r\n/g, '\n')}\n`;
}

// Every VM's boot script and the deploy blockers ask for it: read and checked once per process,
// like the scripts in agents/ (sources.ts).
let cached: { key: string | undefined } | undefined;

export function defaultSigningKey(): string | undefined {
  cached ??= {
    key: fs.existsSync(DEFAULT_SIGNING_KEY_FILE)
      ? checkSigningKey(fs.readFileSync(DEFAULT_SIGNING_KEY_FILE, 'utf8'), DEFAULT_SIGNING_KEY_FILE)
      : undefined,
  };
  return cached.key;
}
