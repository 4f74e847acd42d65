/**
 * Loopback servers for fault injection: a raw handler server (http, or https with a throwaway
 * self-signed certificate made by openssl), and a recording listener that keeps every byte any
 * client sends it — the "other origin" a redirect points at, which must receive nothing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RawServer {
  readonly url: string;
  readonly port: number;
  /** Requests (or, for the recording listener, raw byte chunks) received. */
  received(): string[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export async function rawServer(handler: Handler, tls?: { key: string; cert: string }): Promise<RawServer> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      handler(req, res, body);
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    received: () => [...seen],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A plain TCP listener that records every byte and answers nothing useful: the redirect target. */
export async function recordingListener(): Promise<RawServer> {
  const chunks: string[] = [];
  const sockets = new Set<Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (c) => {
      chunks.push(c.toString('latin1'));
      s.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
    });
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received: () => [...chunks],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let cached: { key: string; cert: string } | null | undefined;

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), or null when openssl is missing. */
export function selfSignedTls(): { key: string; cert: string } | null {
  if (cached !== undefined) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-tls-'));
  try {
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', 'k.pem', '-out', 'c.pem'],
      { cwd: dir, encoding: 'utf8' },
    );
    cached = r.status === 0 ? { key: fs.readFileSync(path.join(dir, 'k.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'c.pem'), 'utf8') } : null;
  } catch {
    cached = null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return cached;
}
