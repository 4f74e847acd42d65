/**
 * preflight's agent signing key check: the key file judged by its SHA-256 against the values
 * Trend documents for `3trend_public.asc` (lib/cli/preflight/signing-key.ts names the source).
 * Trend's key itself is not in the repository (dskit does not ship it, and no copy was at hand to
 * check its bytes), so the PASS and older-key paths get a test key's own digests in place of
 * Trend's: what is tested is that the check compares the file's SHA-256, nothing else.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TREND_KEY_SHA256, signingKeyCheck } from '../../lib/cli/preflight/signing-key';
import { configWith } from '../helpers/config';

const ARMORED = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBFtZrJkBCADtest\n-----END PGP PUBLIC KEY BLOCK-----\n';

describe('agent signing key (preflight)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-key-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

  test("the documented current key: PASS naming the release range and key id; the older one: WARN to renew", () => {
    const f = file('trend.asc', ARMORED);
    const asCurrent = signingKeyCheck(configWith(), ['aws'], f, { current: digestOf(ARMORED), older: TREND_KEY_SHA256.older });
    expect(asCurrent).toMatchObject({ outcome: 'PASS', key: 'manager.verifyPackageSignature' });
    expect(asCurrent.detail).toMatch(/is Trend's key for agents 20\.0\.0-2971 and later \(key id E1051CBD, SHA-256 [0-9a-f]{8}…[0-9a-f]{4}\)$/);
    const asOlder = signingKeyCheck(configWith(), ['aws'], f, { current: TREND_KEY_SHA256.current, older: digestOf(ARMORED) });
    expect(asOlder.outcome).toBe('WARN');
    expect(asOlder.detail).toMatch(/is Trend's older key file, for agents 20\.0\.0-2593 and earlier/);
    expect(asOlder.fix).toBe('use 3trend_public.asc from a current agent .zip (SHA-256 bd3b0076…ddae)');
  });

  test('an armored key that is not Trend\'s: WARN saying so plainly, with its digest and what to use', () => {
    const f = file('other.asc', ARMORED);
    const digest = createHash('sha256').update(ARMORED).digest('hex');
    const c = signingKeyCheck(configWith(), ['aws'], f);
    expect(c.outcome).toBe('WARN');
    expect(c.detail).toContain(`is not the key Trend documents (its SHA-256 is ${digest.slice(0, 8)}…${digest.slice(-4)}, Trend's bd3b0076…ddae)`);
    expect(c.detail).toContain("the VMs will refuse Trend's packages unless this key signed them");
    expect(c.fix).toMatch(/3trend_public\.asc from the root of an agent \.zip/);
  });

  test('the same bytes with CRLF line endings are the same key (an editor or git may have converted them)', () => {
    const crlf = file('crlf.asc', ARMORED.replace(/\n/g, '\r\n'));
    expect(signingKeyCheck(configWith(), ['aws'], crlf, { current: digestOf(ARMORED), older: TREND_KEY_SHA256.older }).outcome).toBe('PASS');
  });

  test('missing: FAIL naming Trend\'s file and where it goes; not armored: FAIL', () => {
    const missing = signingKeyCheck(configWith(), ['aws'], path.join(dir, 'nope.asc'));
    expect(missing.outcome).toBe('FAIL');
    expect(missing.fix).toBe("save Trend's 3trend_public.asc (root of every agent .zip) as that file, or set manager.verifyPackageSignature: false");
    expect(signingKeyCheck(configWith(), ['aws'], file('bin.asc', '\x99\x01\x0d binary key')).detail).toMatch(/is not an ASCII-armored OpenPGP public key/);
  });

  test('not needed: verification off, or only Windows VMs on the chosen clouds (SKIP)', () => {
    expect(signingKeyCheck(configWith((r) => (r.manager.verifyPackageSignature = false)), ['aws'], path.join(dir, 'nope.asc')).outcome).toBe('SKIP');
    const windowsOnly = configWith((r) => (r.aws.vms = [{ name: 'win', os: 'windows-2022', instanceType: 't3.large' }]));
    expect(signingKeyCheck(windowsOnly, ['aws'], path.join(dir, 'nope.asc'))).toMatchObject({ outcome: 'SKIP', detail: expect.stringMatching(/no Linux VM/) });
    expect(signingKeyCheck(windowsOnly, ['aws', 'gcp'], path.join(dir, 'nope.asc')).outcome).toBe('FAIL'); // the GCP web VM is Linux
  });
});
