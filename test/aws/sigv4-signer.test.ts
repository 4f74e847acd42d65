/**
 * The boot script's own SigV4 signer (agents/linux/aws/secret.sh, bash + coreutils' sha256sum)
 * against the AWS SDK's signer, @smithy/signature-v4, on many generated requests: the same
 * canonical request and the same Authorization header, byte for byte. The requests vary what a
 * signer can get wrong: path segments to encode (again, when already encoded), header names in any case, values with runs of blanks, tabs and
 * line breaks, UTF-8 everywhere, empty and binary-looking payloads, with and without a session
 * token. Run in bash for real.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { bashQuote } from '../../lib/agent/shell';
import { AGENTS_DIR } from '../../lib/agent/sources';

const CASES = 100;

/** The SDK's hash interface over node:crypto (what @smithy/hash-node does). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = typeof secret === 'string' || secret === undefined ? secret : Buffer.from(secret instanceof ArrayBuffer ? secret : secret.buffer.slice(secret.byteOffset, secret.byteOffset + secret.byteLength));
    this.hash = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GeneratedRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: [string, string][];
  readonly headers: [string, string][];
  readonly body: string;
  readonly region: string;
  readonly service: string;
  readonly date: Date;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

function generate(seed: number): GeneratedRequest {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const from = (alphabet: string, lo: number, hi: number) => Array.from({ length: int(lo, hi) }, () => pick([...alphabet])).join('');
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // Text a request may carry: reserved and unreserved ASCII, blanks, and a few UTF-8 characters.
  const TEXT = `${ALNUM}-_.~ !*'()%+=&:;,/?#@[]$"<>{}|\\^\`éü€日本語😀`;
  const text = (lo: number, hi: number) => from(TEXT, lo, hi);
  // The script signs normalized paths (no ".", ".." or empty segments), URL-encoded or not.
  const segment = () => pick([text(1, 8).replace(/\//g, ''), from(ALNUM, 1, 10), encodeURIComponent(text(1, 6))]).replace(/^\.\.?$/, 'dot') || 'x';
  const segments = Array.from({ length: int(0, 5) }, segment);
  const pathText = '/' + segments.join('/') + (segments.length > 0 && rnd() < 0.3 ? '/' : '');
  // The script sends no query string, and its signer supports none.
  const query: [string, string][] = [];
  const blank = () => pick(['', ' ', '  ', '\t', ' \t ']);
  const headers: [string, string][] = [];
  const names = new Set<string>(['host']);
  const candidates = ['Content-Type', 'X-Amz-Target', 'x-amz-meta-note', 'Accept', 'X-Custom', 'content-md5'];
  for (let i = int(0, 4); i > 0; i--) {
    const name = pick([pick(candidates), `X-${from(ALNUM, 3, 8)}`]);
    if (names.has(name.toLowerCase())) continue;
    names.add(name.toLowerCase());
    const value = [blank(), text(0, 12), pick(['', '  ', ' \t', '\n ', '\r\n']), text(0, 12), blank()].join('');
    headers.push([name, value]);
  }
  const region = `${pick(['us', 'eu', 'ap', 'sa', 'me'])}-${pick(['east', 'west', 'northeast', 'south', 'central'])}-${int(1, 3)}`;
  return {
    method: pick(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']),
    host: `${from('abcdefghijklmnopqrstuvwxyz', 3, 12)}.${region}.amazonaws.com`,
    path: pathText,
    query,
    headers,
    body: pick(['', text(1, 40), JSON.stringify({ SecretId: text(1, 20), n: int(0, 99) }), 'line one\nline two\r\n\ttabbed\n']),
    region,
    service: pick(['secretsmanager', 'ssm', 'logs', 'sts', 'ec2', `svc${from('abcdefghijklmnopqrstuvwxyz', 2, 6)}`]),
    date: new Date(Date.UTC(int(2015, 2035), int(0, 11), int(1, 28), int(0, 23), int(0, 59), int(0, 59))),
    accessKeyId: pick(['AKIA', 'ASIA']) + from('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 16),
    secretAccessKey: from(`${ALNUM}/+`, 40, 40),
    sessionToken: rnd() < 0.35 ? '' : from(`${ALNUM}/+=`, 200, 1200),
  };
}

const amzDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

/** What the SDK signs: its canonical request (captured from the signer) and the Authorization header. */
async function sdkSignature(r: GeneratedRequest): Promise<{ canonical: string; authorization: string }> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey, sessionToken: r.sessionToken || undefined },
    region: r.region,
    service: r.service,
    sha256: NodeSha256,
    // Secrets Manager and the other JSON services need no x-amz-content-sha256 header; the script sends none.
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of r.query) {
    const had = query[k];
    query[k] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
  }
  let canonical = '';
  const original = (signer as any).createCanonicalRequest.bind(signer);
  (signer as any).createCanonicalRequest = (...args: unknown[]) => (canonical = original(...args));
  const signed = await signer.sign(
    { method: r.method, protocol: 'https:', hostname: r.host, path: r.path, query, headers: { host: r.host, ...Object.fromEntries(r.headers) }, body: r.body },
    { signingDate: r.date },
  );
  return { canonical, authorization: String(signed.headers.authorization) };
}

/** Every request signed by the script's signer in one bash process. */
function scriptSignatures(requests: readonly GeneratedRequest[]): { canonical: string; authorization: string }[] {
  const calls = requests.map((r) => {
    const headers = [`Host: ${r.host}`, ...r.headers.map(([n, v]) => `${n}:${v}`)].map(bashQuote).join(' ');
    const args = [r.accessKeyId, r.secretAccessKey, r.sessionToken, r.region, r.service, amzDate(r.date), r.method, r.path, r.body].map(bashQuote).join(' ');
    return `h=(${headers})\nsigv4_sign ${args} h || echo FAILED\nprintf '%s' "$SIGV4_CANONICAL_REQUEST" | base64 -w0; echo; printf '%s\\n' "$SIGV4_AUTHORIZATION"`;
  });
  const script = `set -u\nexport LC_ALL=C\nsource ${bashQuote(path.join(AGENTS_DIR, 'linux', 'aws', 'sigv4.sh'))}\n${calls.join('\n')}\n`;
  // A file, not `bash -c`: the script is longer than one argument may be.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-sigv4-'));
  const file = path.join(dir, 'sign.sh');
  fs.writeFileSync(file, script);
  const r = spawnSync('bash', [file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 240_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`bash failed (${r.status}, ${r.error}): ${r.stderr}`);
  const lines = r.stdout.split('\n');
  return requests.map((_, i) => ({ canonical: Buffer.from(lines[2 * i], 'base64').toString('utf8'), authorization: lines[2 * i + 1] }));
}

describe(`the script's SigV4 signer agrees with @smithy/signature-v4 on ${CASES} generated requests`, () => {
  const requests = Array.from({ length: CASES }, (_, i) => generate(1000 + i));
  let sdk: { canonical: string; authorization: string }[];
  let script: { canonical: string; authorization: string }[];
  beforeAll(async () => {
    sdk = await Promise.all(requests.map(sdkSignature));
    script = scriptSignatures(requests);
  }, 180_000);

  test('the generated requests do exercise the hard parts', () => {
    const canonicals = sdk.map((s) => s.canonical);
    expect(canonicals.some((c) => c.split('\n')[1].includes('%25'))).toBe(true); // an encoded path, encoded again
    expect(canonicals.some((c) => /%[89A-F][0-9A-F]/.test(c.split('\n')[1]))).toBe(true); // UTF-8 in the path
    expect(requests.some((r) => r.headers.some(([, v]) => /[\t\n]| {2}/.test(v)))).toBe(true);
    expect(requests.filter((r) => r.sessionToken).length).toBeGreaterThan(CASES / 2);
    expect(requests.filter((r) => !r.sessionToken).length).toBeGreaterThan(CASES / 10);
  });

  test('the same canonical request for every one', () => {
    const differing = requests.map((_, i) => ({ seed: 1000 + i, sdk: sdk[i].canonical, script: script[i].canonical })).filter((d) => d.sdk !== d.script);
    expect(differing.slice(0, 3)).toEqual([]);
  });

  test('the same Authorization header (credential scope, signed headers, signature) for every one', () => {
    const differing = requests.map((_, i) => ({ seed: 1000 + i, sdk: sdk[i].authorization, script: script[i].authorization })).filter((d) => d.sdk !== d.script);
    expect(differing.slice(0, 3)).toEqual([]);
    expect(script.every((s) => /^AWS4-HMAC-SHA256 Credential=A[KS]IA[A-Z2-7]{16}\/\d{8}\/[a-z0-9-]+\/[a-z0-9]+\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/.test(s.authorization))).toBe(true);
  });
});

describe('the Secrets Manager request the boot script sends, signed both ways', () => {
  test('GetSecretValue with a session token: identical signature, every x-amz-* header and host signed', async () => {
    const r: GeneratedRequest = {
      method: 'POST',
      host: 'secretsmanager.ap-northeast-1.amazonaws.com',
      path: '/',
      query: [],
      headers: [
        ['Content-Type', 'application/x-amz-json-1.1'],
        ['X-Amz-Target', 'secretsmanager.GetSecretValue'],
      ],
      body: '{"SecretId":"ds-eval-activation-token"}',
      region: 'ap-northeast-1',
      service: 'secretsmanager',
      date: new Date(Date.UTC(2026, 11, 1, 23, 59, 59)),
      accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaDmFwLW5vcnRoZWFzdC0xIkYwRAIgEXAMPLE=',
    };
    const [mine] = scriptSignatures([r]);
    const sdk = await sdkSignature(r);
    expect(mine).toEqual(sdk);
    expect(mine.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,');
  });
});

describe('no secret of the signing reaches any command the script runs', () => {
  // Every program the shell could run is a shim (PATH holds nothing else) that logs its arguments
  // and environment before running the real one: every exec is seen, none falls between samples.
  let dir: string;
  let log: string;
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
  const session = 'IQoJb3JpZ2luX2VjSESSIONTOKEN+/==';
  const amzDate = '20261201T235959Z';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-execlog-'));
    const shims = path.join(dir, 'shims');
    fs.mkdirSync(shims);
    const shim = path.join(dir, 'shim.sh');
    fs.writeFileSync(
      shim,
      '#!/bin/bash\nname=${0##*/}\nPATH=/usr/bin:/bin:/usr/sbin:/sbin\n' +
        '{ printf "EXEC"; printf " %s" "$name" "$@"; printf "\\n"; tr "\\0" "\\n" </proc/$$/environ | sed "s/^/ENV /"; } >>"$SHIM_LOG"\n' +
        'for d in /usr/bin /bin /usr/sbin /sbin; do [[ -x $d/$name ]] && exec "$d/$name" "$@"; done\nexit 127\n',
      { mode: 0o755 },
    );
    for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
      for (const name of fs.existsSync(d) ? fs.readdirSync(d) : []) {
        if (!fs.existsSync(path.join(shims, name))) fs.symlinkSync(shim, path.join(shims, name));
      }
    }
    log = path.join(dir, 'exec.log');
    const script = `export LC_ALL=C SHIM_LOG=${bashQuote(log)} PATH=${bashQuote(shims)}
source ${bashQuote(path.join(AGENTS_DIR, 'linux', 'aws', 'sigv4.sh'))}
headers=("Content-Type: application/x-amz-json-1.1" "Host: secretsmanager.ap-northeast-1.amazonaws.com" "X-Amz-Target: secretsmanager.GetSecretValue")
sigv4_sign ASIAEXAMPLEEXAMPLE00 ${bashQuote(secret)} ${bashQuote(session)} ap-northeast-1 secretsmanager ${amzDate} POST / '{"SecretId":"x"}' headers
curl_tls() { curl --silent --show-error --connect-timeout 1 --max-time 2 "$@"; }
curl_headers_config "Authorization: $SIGV4_AUTHORIZATION" "\${SIGV4_HEADERS[@]}" | curl_tls -K - --data-binary '{"SecretId":"x"}' https://127.0.0.1:9/ || true`;
    const r = spawnSync('/bin/bash', ['-c', script], { encoding: 'utf8', env: {}, timeout: 60_000 });
    if (!fs.existsSync(log)) throw new Error(`no exec log: ${r.stderr}`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the signer and the request ran through the shims (sha256sum for every HMAC, curl for the call)', () => {
    const execs = fs.readFileSync(log, 'latin1').split('\n').filter((l) => l.startsWith('EXEC '));
    // 4 key derivations + the signature, two hashes each, plus the payload and the canonical request.
    expect(execs.filter((l) => l === 'EXEC sha256sum').length).toBeGreaterThanOrEqual(12);
    expect(execs.some((l) => l.startsWith('EXEC curl '))).toBe(true);
  });

  test('no argument or environment of any of them holds the secret key, the session token or a derived key', () => {
    const text = fs.readFileSync(log, 'latin1');
    let key: Buffer = Buffer.from(`AWS4${secret}`);
    const needles = [secret, session];
    for (const part of [amzDate.slice(0, 8), 'ap-northeast-1', 'secretsmanager', 'aws4_request']) {
      key = createHmac('sha256', key).update(part).digest();
      needles.push(key.toString('hex'), key.toString('latin1'));
    }
    expect(needles.filter((n) => text.includes(n))).toEqual([]);
  });
});
