// The Engine API server: HTTP/1.1 on a unix socket (mode 0660, owned by root), and optionally on TCP
// with mutual TLS. Both serve the same dispatcher over the same Engine the dashboard uses.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { Engine } from '@berth/runtime/engine';
import type { AuditSink } from './audit.ts';
import { createDispatcher } from './router.ts';

export interface EngineApiOptions {
  engine: () => Engine | null;
  /** Why the engine is unavailable, for the 500 every call gets meanwhile. */
  unavailable?: () => string;
  socketPath?: string;
  tcp?: { host: string; port: number; tls: { ca: string; cert: string; key: string } } | null;
  audit?: AuditSink;
  log?: (msg: string) => void;
}

export interface EngineApiServer {
  socketPath: string | null;
  tcpAddress: net.AddressInfo | null;
  close(): Promise<void>;
}

function wire(server: http.Server, opts: EngineApiOptions): void {
  const d = createDispatcher({
    engine: opts.engine,
    unavailable: opts.unavailable,
    audit: opts.audit,
    onError: (err) => opts.log?.(`engine-api: ${err instanceof Error ? err.stack ?? err.message : String(err)}`),
  });
  server.on('request', d.onRequest);
  server.on('upgrade', d.onUpgrade);
  // Streams (logs -f, events, attach) stay open as long as the client wants.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
}

/** A socket file left by a dead server is removed; one that still answers means another server runs. */
async function clearStaleSocket(p: string): Promise<void> {
  if (!fs.existsSync(p)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.connect(p);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${p} is in use by another Engine API server`);
  fs.rmSync(p, { force: true });
}

function listen(server: net.Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startEngineApi(opts: EngineApiOptions): Promise<EngineApiServer> {
  const servers: http.Server[] = [];
  let socketPath: string | null = null;
  let tcpAddress: net.AddressInfo | null = null;
  const closeAll = async () => {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((r) => {
            s.close(() => r());
            s.closeAllConnections();
          }),
      ),
    );
    if (socketPath) fs.rmSync(socketPath, { force: true });
  };
  try {
    if (opts.socketPath) {
      const p = path.resolve(opts.socketPath);
      fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
      await clearStaleSocket(p);
      const server = http.createServer();
      wire(server, opts);
      servers.push(server);
      // Created 0600 under the umask, then opened to the group: root and root's group only.
      const old = process.umask(0o177);
      try {
        await listen(server, p);
      } finally {
        process.umask(old);
      }
      socketPath = p;
      fs.chownSync(p, 0, 0);
      fs.chmodSync(p, 0o660);
    }
    if (opts.tcp) {
      const t = opts.tcp;
      const server = https.createServer({
        ca: fs.readFileSync(t.tls.ca),
        cert: fs.readFileSync(t.tls.cert),
        key: fs.readFileSync(t.tls.key),
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      });
      wire(server, opts);
      servers.push(server);
      await listen(server, t.port, t.host);
      tcpAddress = server.address() as net.AddressInfo;
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { socketPath, tcpAddress, close: closeAll };
}
