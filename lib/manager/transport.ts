/**
 * One HTTP exchange with the manager. Node's own fetch does it, with TLS verified; only a lab DSM
 * with a self-signed certificate (manager.allowSelfSignedCertificate) goes through node:https
 * with verification off, because Node 20's global fetch takes no TLS options and undici is not
 * a dependency.
 */
import * as https from 'node:https';

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly text: string;
  header(name: string): string | null;
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

export const fetchTransport: Transport = async (req) => {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(req.timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, text, header: (n) => res.headers.get(n) };
};

/** TLS verification off: only for a manager the user marked allowSelfSignedCertificate. */
export const insecureTlsTransport: Transport = (req) =>
  new Promise((resolve, reject) => {
    const r = https.request(
      req.url,
      { method: req.method, headers: req.headers, rejectUnauthorized: false, timeout: req.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            header: (n) => {
              const v = h[n.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
          });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
