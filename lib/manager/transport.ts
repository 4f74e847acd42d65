/**
 * One HTTP exchange with the manager. Node's own fetch does it, with TLS verified; only a lab DSM
 * with a self-signed certificate (manager.allowSelfSignedCertificate) goes through node:https
 * with verification off, because Node 20's global fetch takes no TLS options and undici is not
 * a dependency.
 *
 * Both transports hold the same three promises, because a faulty or hostile manager must not be
 * able to hang or flood the CLI, nor draw the key elsewhere:
 * - one overall deadline per exchange (`timeoutMs`): connecting, the headers and the whole body
 *   must be done by then. An idle timeout is not enough: a server that drips one byte a second
 *   never goes idle.
 * - at most `maxBytes` of body are read; a larger answer is an error, not a heap exhausted.
 * - redirects are never followed: a 3xx comes back as it is, and the client refuses it. fetch
 *   strips only `Authorization` when it follows a redirect to another origin, so `api-secret-key`
 *   would go along to whatever host the Location names.
 */
import * as https from 'node:https';

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The whole exchange, headers and body, must finish within this. */
  readonly timeoutMs: number;
  /** @default DEFAULT_MAX_RESPONSE_BYTES */
  readonly maxBytes?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly text: string;
  header(name: string): string | null;
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/** A 5000-item page of IPS rules with their descriptions is about 25 MB; nothing dskit asks for needs more. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** The exchange ran past its deadline. */
export class TransportTimeoutError extends Error {
  override name = 'TransportTimeoutError';
  constructor(timeoutMs: number) {
    super(`no complete answer within ${Math.round(timeoutMs / 100) / 10} s`);
  }
}

/** The body was larger than the client reads. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
  constructor(maxBytes: number) {
    super(`the answer is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB; dskit stopped reading it`);
  }
}

function decode(chunks: Buffer[]): string {
  return Buffer.concat(chunks).toString('utf8');
}

export const fetchTransport: Transport = async (req) => {
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TransportTimeoutError(req.timeoutMs)), req.timeoutMs);
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          controller.abort(new ResponseTooLargeError(maxBytes));
          throw new ResponseTooLargeError(maxBytes);
        }
        chunks.push(Buffer.from(value));
      }
    }
    return { status: res.status, text: decode(chunks), header: (n) => res.headers.get(n) };
  } catch (err) {
    // fetch rejects with the abort reason itself, or wraps it; either way say what happened.
    if (controller.signal.aborted && controller.signal.reason instanceof Error) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
};

/** TLS verification off: only for a manager the user marked allowSelfSignedCertificate. */
export const insecureTlsTransport: Transport = (req) =>
  new Promise((resolve, reject) => {
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    let settled = false;
    const finish = (err: Error | undefined, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        r.destroy();
        reject(err);
      } else resolve(res!);
    };
    // node:https's own `timeout` is an idle timeout, which a drip never trips: this one is overall.
    const timer = setTimeout(() => finish(new TransportTimeoutError(req.timeoutMs)), req.timeoutMs);
    const r = https.request(req.url, { method: req.method, headers: req.headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) finish(new ResponseTooLargeError(maxBytes));
        else chunks.push(c);
      });
      res.on('end', () => {
        const h = res.headers;
        finish(undefined, {
          status: res.statusCode ?? 0,
          text: decode(chunks),
          header: (n) => {
            const v = h[n.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
        });
      });
      res.on('error', (e) => finish(e));
      res.on('aborted', () => finish(new Error('the manager closed the connection mid-answer')));
    });
    r.on('error', (e) => finish(e));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
