// A shim attachment as the Duplex that dockerode's hijacked attach/exec gives: output in Docker's
// 8-byte multiplexed framing ([stream,0,0,0,u32 BE len] + payload) without a TTY, raw bytes with one;
// writes go to the process's stdin; end() half-closes stdin (EOF with StdinOnce); destroy() detaches.
import { Duplex } from 'node:stream';
import { attachShim, type ShimAttachment } from './index.js';

export function muxFrame(stream: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

export interface AttachStreamOptions {
  tty: boolean;
  /** Bytes sent before the live output (attach with logs: true), already framed. */
  prefix?: Buffer;
  /** Called once with the exit code the shim reported (not called on a plain detach). */
  onExit?: (code: number) => void;
}

/**
 * The Duplex over an attachment. `att` may still be pending (an attach made before the container
 * starts): input written meanwhile is kept in order, including end(), and delivered once it connects;
 * a pending attachment that never comes (null) simply ends the stream.
 */
export function attachmentStream(att: ShimAttachment | Promise<ShimAttachment | null>, opts: AttachStreamOptions): Duplex {
  let a: ShimAttachment | null = null;
  let ended = false;
  let wantsData = false;
  let endInput = false;
  const queued: { chunk: Buffer; cb: (e?: Error | null) => void }[] = [];
  const finish = (): void => {
    if (ended) return;
    ended = true;
    d.push(null);
  };
  const d = new Duplex({
    read() {
      wantsData = true;
      a?.socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (!a) return void queued.push({ chunk, cb });
      if (!a.socket.destroyed) a.write(chunk);
      cb();
    },
    final(cb) {
      if (!a) endInput = true;
      else if (!a.socket.destroyed) a.end();
      cb();
    },
    destroy(err, cb) {
      a?.close();
      cb(err);
    },
  });
  if (opts.prefix?.length) d.push(opts.prefix);
  const bind = (x: ShimAttachment): void => {
    if (d.destroyed) return x.close();
    a = x;
    const out = (stream: 1 | 2) => (b: Buffer) => {
      if (ended) return;
      if (!d.push(opts.tty ? b : muxFrame(stream, b))) x.socket.pause();
    };
    x.on('stdout', out(1));
    x.on('stderr', out(2));
    x.on('exit', (code: number) => {
      opts.onExit?.(code);
      finish();
    });
    x.on('close', finish);
    x.on('error', (e: Error) => d.destroy(e));
    for (const q of queued.splice(0)) {
      x.write(q.chunk);
      q.cb();
    }
    if (endInput) x.end();
    if (wantsData) x.socket.resume();
  };
  if (att instanceof Promise) {
    att.then(
      (x) => {
        if (x) return bind(x);
        for (const q of queued.splice(0)) q.cb();
        finish();
      },
      (e: Error) => d.destroy(e),
    );
  } else {
    bind(att);
  }
  return d;
}

/** Sends one resize over a fresh output-less connection and hangs up once it is flushed. */
export async function resizeOnce(socket: string, h: number, w: number): Promise<void> {
  const a = await attachShim(socket, { stdin: false, stdout: false, stderr: false });
  a.resize(h, w);
  await new Promise<void>((r) => a.socket.end(() => r()));
  a.close();
}
