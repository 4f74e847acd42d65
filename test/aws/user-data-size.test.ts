/**
 * EC2 user data is 16 KB, and the Linux boot script carries the agent signing key. A real key does
 * not compress (random base64), unlike a repeated test pattern, so the budget is measured here with
 * incompressible keys of real sizes (armored as gpg exports an RSA key with one user id and its
 * self-signature: RSA-2048 ~0.97 KB, RSA-3072 ~1.3 KB, RSA-4096 ~1.66 KB). A script holds only the
 * pieces its VM runs (lib/agent/sources.ts), so every Linux OS and arch fits with room to spare even
 * with an RSA-4096 key, wait-handle allowance included; a script that still did not fit would be
 * refused at synth naming the VM, before any deploy.
 */
import { randomBytes } from 'node:crypto';
import { AWS_USER_DATA_LIMIT, renderBootScript } from '../../lib/agent';
import { AWS_OS } from '../../lib/config';
import { checkUserDataSize } from '../../lib/aws/sandbox-vm';
import { configWith } from '../helpers/config';

/** An armored key block of `bytes` bytes of key material (what an export of that size holds). */
function armoredKey(bytes: number): string {
  const body = randomBytes(bytes).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${body}=AbCd\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

/** Key material of gpg's RSA exports (public key, one user id, its self-signature), in bytes. */
const KEY_MATERIAL = { 'RSA-2048': 660, 'RSA-3072': 930, 'RSA-4096': 1200 } as const;
/** What every variant must leave free below EC2's limit, the wait-handle allowance counted. */
const MARGIN = 256;

// Every optional setting on (proxy, group, relay group), so the largest script of each OS is measured.
const config = configWith((r) => {
  r.manager.verifyPackageSignature = true;
  r.manager.proxy = 'http://proxy.internal:3128';
  r.policy = { id: 9, groupId: 12, relayGroupId: 3 };
  r.aws.vms = AWS_OS.filter((os) => os !== 'windows-2022').flatMap((os, i) => [
    { name: `l${i}x`, os, arch: 'x86_64' },
    { name: `l${i}a`, os, arch: 'arm64' },
  ]);
});
const script = (vmIndex: number, key: string) =>
  renderBootScript(config, config.aws!.vms[vmIndex], 1, {
    cloud: 'aws',
    region: 'ap-northeast-1',
    waitHandleUrl: '${Token[TOKEN.1]}',
    logGroupName: '/dskit/ds-eval/ds-events',
    signingKey: key,
  }).script;

describe('the AWS Linux boot script within EC2\'s 16 KB, with a real-size signing key', () => {
  const cases = config.aws!.vms.flatMap((vm, i) => Object.entries(KEY_MATERIAL).map(([rsa, bytes]) => [vm.os, vm.arch, rsa, i, bytes] as const));

  test.each(cases)('%s %s with an %s key fits with room to spare, wait-handle allowance included', (_os, _arch, _rsa, i, bytes) => {
    const s = script(i, armoredKey(bytes));
    expect(() => checkUserDataSize(s, 'ds-eval-aws-x-1')).not.toThrow();
    expect(Buffer.byteLength(s) + 1024).toBeLessThanOrEqual(AWS_USER_DATA_LIMIT - MARGIN);
  });

  test('a script that would not fit is refused at synth with the VM\'s name and the sizes, not at boot', () => {
    const tooBig = script(0, armoredKey(1200)) + `# ${'x'.repeat(AWS_USER_DATA_LIMIT)}\n`;
    expect(() => checkUserDataSize(tooBig, 'ds-eval-aws-deb-1')).toThrow(/^ds-eval-aws-deb-1: the boot script needs about \d+ bytes of user data \(with the wait handle URL\); EC2 allows 16384/);
  });
});
