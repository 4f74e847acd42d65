/**
 * Stand-in agent MSIs for the Windows tests, in the format the stand-in msiexec and
 * Get-AuthenticodeSignature read (test/fixtures/windows-stand-ins): the OLE compound file magic a
 * real MSI starts with, a marker line, an optional signature block (HMAC over payload and signer),
 * the payload, an end line. Variants: signed by Trend Micro, tampered after signing, unsigned,
 * signed by someone else, truncated, and not an MSI at all.
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const OLE_MAGIC = Buffer.from('d0cf11e0a1b11ae1', 'hex');
const SIGNING_KEY = 'dskit stand-in code signing';
export const TREND_SIGNER = 'CN="Trend Micro, Inc.", O="Trend Micro, Inc.", L=Shibuya-ku, S=Tokyo, C=JP';
export const OTHER_SIGNER = 'CN=Example Software, O=Example Software, C=US';

function msi(payload: string, signer?: string, signedPayload = payload): Buffer {
  const signature = signer ? createHmac('sha256', SIGNING_KEY).update(`${signedPayload}\n${signer}`).digest('hex') : '';
  const block = signer ? `signer: ${signer}\nthumbprint: 0123456789ABCDEF0123456789ABCDEF01234567\nsignature: ${signature}\n` : '';
  return Buffer.concat([OLE_MAGIC, Buffer.from(`DSKIT STAND-IN MSI\n${block}payload:\n${payload}\nDSKIT STAND-IN MSI END\n`)]);
}

export interface StandInMsis {
  readonly signed: string;
  readonly tampered: string;
  readonly unsigned: string;
  readonly otherSigner: string;
  readonly truncated: string;
  readonly htmlPage: string;
}

export function buildStandInMsis(dir: string): StandInMsis {
  const payload = 'Trend Micro Deep Security Agent (stand-in) '.repeat(200);
  const write = (name: string, data: Buffer | string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, data);
    return file;
  };
  const signed = msi(payload, TREND_SIGNER);
  return {
    signed: write('agent.msi', signed),
    tampered: write('agent-tampered.msi', msi(payload.replace('Agent', 'Agenz'), TREND_SIGNER, payload)),
    unsigned: write('agent-unsigned.msi', msi(payload)),
    otherSigner: write('agent-other-signer.msi', msi(payload, OTHER_SIGNER)),
    truncated: write('agent-truncated.msi', signed.subarray(0, Math.floor(signed.length * 0.6))),
    htmlPage: write('error.html', '<html><body>Service temporarily unavailable</body></html>\n'),
  };
}
