/**
 * EC2 user data is 16 KB, and the Linux boot script carries the agent signing key. A real key does
 * not compress (random base64), unlike a repeated test pattern, so the budget is measured here with
 * incompressible keys of real sizes: an RSA-3072 key (about 1.3 KB armored) must fit with the
 * wait-handle allowance; an RSA-4096 one (about 1.6 KB) does not today, and synth says so naming
 * the VM, before any deploy.
 */
import { randomBytes } from 'node:crypto';
import { AWS_USER_DATA_LIMIT, findVm, renderBootScript } from '../../lib/agent';
import { checkUserDataSize } from '../../lib/aws/sandbox-vm';
import { configWith } from '../helpers/config';

/** An armored key block of `bytes` bytes of key material (what an export of that size holds). */
function armoredKey(bytes: number): string {
  const body = randomBytes(bytes).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${body}=AbCd\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

const config = configWith((r) => {
  r.manager.verifyPackageSignature = true;
  r.aws.vms = [{ name: 'deb', os: 'debian-12', count: 1 }];
});
const script = (key: string) =>
  renderBootScript(config, findVm(config, 'aws', 'deb'), 1, { cloud: 'aws', region: 'ap-northeast-1', waitHandleUrl: '${Token[TOKEN.1]}', logGroupName: '/dskit/ds-eval/ds-events', signingKey: key }).script;

describe('the AWS Linux boot script within EC2\'s 16 KB, with a real-size signing key', () => {
  test('an RSA-3072-size key (930 bytes of key material, ~1.3 KB armored) fits, wait-handle allowance included', () => {
    const s = script(armoredKey(930));
    expect(() => checkUserDataSize(s, 'ds-eval-aws-deb-1')).not.toThrow();
    expect(Buffer.byteLength(s)).toBeLessThan(AWS_USER_DATA_LIMIT - 1024);
  });

  test('an RSA-4096-size key (~1.6 KB armored) is refused at synth with the VM\'s name and the sizes, not at boot', () => {
    const key = armoredKey(1200);
    expect(() => checkUserDataSize(script(key), 'ds-eval-aws-deb-1')).toThrow(/^ds-eval-aws-deb-1: the boot script needs about \d+ bytes of user data \(with the wait handle URL\); EC2 allows 16384/);
  });
});
