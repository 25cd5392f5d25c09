// Hijacked connections for attach and exec start. With `Connection: Upgrade` + `Upgrade: tcp` the answer
// is `101 UPGRADED` and then the socket carries stdin one way and output the other; the client's
// half-close (shutdown of its write side) is stdin's EOF, while output keeps flowing until the process
// ends. Without the upgrade (older clients, dockerode's plain attach) the output is the 200 response body
// and the request body is stdin.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { Ctx } from './context.ts';
import { ApiError } from './errors.ts';
import { engineHeaders, parseJsonText, readJsonBody } from './http.ts';

export interface RawConn {
  /** Client → server bytes (stdin). Ends at the client's half-close. */
  input: Readable;
  /** Server → client bytes. */
  output: Writable;
  /** Resolves when the connection is gone (closed by either side). */
  closed: Promise<void>;
  /** Ends the output and closes the connection. */
  finish(): void;
}

const MAX_BODY = 1024 * 1024;

/** Responses whose connection has been taken over: errors after that can only close it. */
export const hijacked = new WeakSet<object>();

/** The request body of a hijack request (exec start's JSON); what follows it stays in the socket. */
export async function readHijackBody(ctx: Ctx): Promise<unknown> {
  if (!ctx.upgrade) return readJsonBody(ctx.req);
  return parseJsonText((await takeHijackBody(ctx)).toString('utf8'));
}

/**
 * Takes the Content-Length bytes of an upgraded request off the socket, so they are not mistaken for
 * stdin. Attach calls it to drop dockerode's JSON options body, which dockerd ignores as well.
 */
export async function takeHijackBody(ctx: Ctx): Promise<Buffer> {
  if (!ctx.upgrade) return Buffer.alloc(0);
  const len = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(len) || len < 0 || len > MAX_BODY) throw new ApiError(400, 'invalid Content-Length');
  let buf = ctx.upgrade.head;
  const socket = ctx.upgrade.socket;
  while (buf.length < len) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (c: Buffer) => (cleanup(), resolve(c));
      const onEnd = () => (cleanup(), resolve(null));
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.pause();
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.resume();
    });
    if (!chunk) throw new ApiError(400, 'request body cut short');
    buf = Buffer.concat([buf, chunk]);
  }
  ctx.upgrade.head = buf.subarray(len);
  return buf.subarray(0, len);
}

/** Answers the request and returns the raw connection. */
export function openRawStream(ctx: Ctx, contentType: string): RawConn {
  hijacked.add(ctx.res);
  if (ctx.upgrade) {
    const socket = ctx.upgrade.socket;
    const head = [
      'HTTP/1.1 101 UPGRADED',
      `Content-Type: ${contentType}`,
      'Connection: Upgrade',
      'Upgrade: tcp',
      ...Object.entries(engineHeaders()).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(head.join('\r\n') + '\r\n\r\n');
    if (ctx.upgrade.head.length) socket.unshift(ctx.upgrade.head);
    ctx.upgrade.head = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => socket.destroy());
    return {
      input: socket,
      output: socket,
      closed,
      finish: () => {
        // FIN after the last byte; the client closes its side when it has read everything.
        if (!socket.destroyed) socket.end();
        setTimeout(() => socket.destroy(), 10_000).unref();
      },
    };
  }
  const { req, res } = ctx;
  res.writeHead(200, { ...engineHeaders(), 'Content-Type': contentType });
  res.flushHeaders();
  const closed = new Promise<void>((r) => res.once('close', () => r()));
  return { input: req, output: res, closed, finish: () => res.end() };
}

export interface BridgeOptions {
  /** Forward the client's bytes to the process (false: read and drop them). */
  stdin: boolean;
  /** Runs after the process's output ended, before the connection is closed (exec: let inspect catch up). */
  beforeFinish?: () => Promise<void>;
}

/**
 * Couples a connection with the engine's Duplex (attach / exec): output → client, client → stdin,
 * client half-close → end() (stdin EOF), client gone → destroy() (detach). Resolves when done.
 */
export function bridge(conn: RawConn, engine: Duplex, opts: BridgeOptions): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve();
    };
    engine.on('data', (chunk: Buffer) => {
      if (!conn.output.write(chunk)) {
        engine.pause();
        conn.output.once('drain', () => engine.resume());
      }
    });
    engine.once('end', () => {
      void (opts.beforeFinish?.() ?? Promise.resolve()).catch(() => undefined).then(() => {
        conn.finish();
        finish();
      });
    });
    engine.once('error', () => {
      conn.finish();
      finish();
    });
    conn.input.on('data', (chunk: Buffer) => {
      if (opts.stdin && !engine.writableEnded && !engine.destroyed) engine.write(chunk);
    });
    conn.input.once('end', () => {
      if (opts.stdin && !engine.writableEnded && !engine.destroyed) engine.end();
    });
    conn.input.resume();
    void conn.closed.then(() => {
      if (!engine.destroyed) engine.destroy();
      finish();
    });
  });
}
