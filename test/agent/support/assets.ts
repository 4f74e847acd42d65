/**
 * What the boot-script end-to-end tests serve: a test CA and server certificate (TLS 1.2+ with a
 * trust store the rootfs really uses), a signing key, and the stand-in agent .deb built with
 * dpkg-deb and signed the way dpkg-sig does (a clearsigned `_gpgbuilder` ar member).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './rootfs';

export const FIXTURE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-agent-endpoints');
export const MANAGER_HOST = 'dsm.test.dskit.internal';
export const AWS_REGION = 'ap-northeast-1';
export const WAIT_HANDLE_HOST = 'cloudformation-waitcondition-ap-northeast-1.s3.amazonaws.com';
/** vision-one: the bucket names the installer package is served from (the CDK bootstrap bucket's form; the stack's own on GCP). */
export const AWS_INSTALLER_BUCKET = `cdk-hnb659fds-assets-000000000000-${AWS_REGION}`;
export const GCP_INSTALLER_BUCKET = 'ds-eval-dskit-installers-00000000';
export const TLS_NAMES = [
  MANAGER_HOST,
  `secretsmanager.${AWS_REGION}.amazonaws.com`,
  WAIT_HANDLE_HOST,
  'secretmanager.googleapis.com',
  `${AWS_INSTALLER_BUCKET}.s3.${AWS_REGION}.amazonaws.com`,
  'storage.googleapis.com',
];

export interface TestAssets {
  readonly dir: string;
  readonly caCert: string;
  readonly tlsKey: string;
  readonly tlsCert: string;
  readonly signingKeyArmored: string;
  readonly signedDeb: string;
  readonly truncatedDeb: string;
  readonly htmlPage: string;
  readonly unsignedDeb: string;
}

const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) =>
  execFileSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });

export function makeTls(dir: string): { caCert: string; tlsKey: string; tlsCert: string } {
  const p = (f: string) => path.join(dir, f);
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=dskit test CA', '-keyout', p('ca.key'), '-out', p('ca.pem')]);
  run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${MANAGER_HOST}`, '-keyout', p('server.key'), '-out', p('server.csr')]);
  fs.writeFileSync(p('ext.cnf'), `subjectAltName=${TLS_NAMES.map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p('ext.cnf'), '-out', p('server.pem')]);
  return { caCert: fs.readFileSync(p('ca.pem'), 'utf8'), tlsKey: fs.readFileSync(p('server.key'), 'utf8'), tlsCert: fs.readFileSync(p('server.pem'), 'utf8') };
}

/** ar members of a .deb: name, data. */
function arMembers(file: Buffer): { name: string; data: Buffer }[] {
  if (file.subarray(0, 8).toString('latin1') !== '!<arch>\n') throw new Error('not an ar archive');
  const out: { name: string; data: Buffer }[] = [];
  let off = 8;
  while (off + 60 <= file.length) {
    const name = file.subarray(off, off + 16).toString('latin1').trim().replace(/\/$/, '');
    const size = Number(file.subarray(off + 48, off + 58).toString('latin1').trim());
    out.push({ name, data: file.subarray(off + 60, off + 60 + size) });
    off += 60 + size + (size % 2);
  }
  return out;
}

function arMember(name: string, data: Buffer): Buffer {
  const field = (v: string, w: number) => v.padEnd(w, ' ');
  const header = field(name, 16) + field('0', 12) + field('0', 6) + field('0', 6) + field('100644', 8) + field(String(data.length), 10) + '`\n';
  return Buffer.concat([Buffer.from(header, 'latin1'), data, data.length % 2 ? Buffer.from('\n') : Buffer.alloc(0)]);
}

function buildDeb(dir: string): string {
  const root = path.join(dir, 'deb-root');
  const bin = path.join(root, 'opt', 'ds_agent');
  fs.mkdirSync(bin, { recursive: true });
  fs.mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  for (const f of ['ds_agent', 'dsa_query', 'dsa_control']) {
    fs.copyFileSync(path.join(FIXTURE_DIR, 'stand-in-agent', f), path.join(bin, f));
    fs.chmodSync(path.join(bin, f), 0o755);
  }
  fs.copyFileSync(path.join(FIXTURE_DIR, 'stand-in-agent', 'postinst'), path.join(root, 'DEBIAN', 'postinst'));
  fs.chmodSync(path.join(root, 'DEBIAN', 'postinst'), 0o755);
  fs.writeFileSync(
    path.join(root, 'DEBIAN', 'control'),
    'Package: ds-agent\nVersion: 20.0.0-0dskit\nArchitecture: amd64\nMaintainer: dskit tests <tests@dskit.invalid>\n' +
      'Description: TEST FIXTURE stand-in for the Deep Security agent\n',
  );
  const deb = path.join(dir, 'agent-unsigned.deb');
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, deb]);
  return deb;
}

/** Sign like `dpkg-sig -s builder`: a clearsigned list of every member's md5, sha1 and size. */
function signDeb(unsigned: string, gnupgHome: string, out: string): void {
  const file = fs.readFileSync(unsigned);
  const lines = arMembers(file).map((m) => {
    const md5 = createHash('md5').update(m.data).digest('hex');
    const sha1 = createHash('sha1').update(m.data).digest('hex');
    return `\t${md5} ${sha1} ${m.data.length} ${m.name}`;
  });
  const manifest = `Version: 4\nSigner: \nDate: Thu Jan  1 00:00:00 2026\nRole: builder\nFiles: \n${lines.join('\n')}\n`;
  const signed = run('gpg', ['--batch', '--yes', '--clearsign', '--digest-algo', 'SHA256'], { env: { ...process.env, GNUPGHOME: gnupgHome }, input: manifest });
  fs.writeFileSync(out, Buffer.concat([file, arMember('_gpgbuilder', signed)]));
}

export function buildAssets(dir: string): TestAssets {
  fs.mkdirSync(dir, { recursive: true });
  const tls = makeTls(dir);
  const gnupgHome = path.join(dir, 'gnupg');
  fs.mkdirSync(gnupgHome, { mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: gnupgHome };
  run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'dskit test signing <tests@dskit.invalid>', 'ed25519', 'sign', '1d'], { env });
  const signingKeyArmored = run('gpg', ['--batch', '--armor', '--export'], { env }).toString('utf8');
  const unsignedDeb = buildDeb(dir);
  const signedDeb = path.join(dir, 'agent.deb');
  signDeb(unsignedDeb, gnupgHome, signedDeb);
  const whole = fs.readFileSync(signedDeb);
  const truncatedDeb = path.join(dir, 'agent-truncated.deb');
  fs.writeFileSync(truncatedDeb, whole.subarray(0, Math.floor(whole.length * 0.6)));
  const htmlPage = path.join(dir, 'error.html');
  fs.writeFileSync(htmlPage, '<html><body>Service temporarily unavailable</body></html>\n');
  return { dir, ...tls, signingKeyArmored, signedDeb, truncatedDeb, htmlPage, unsignedDeb };
}
