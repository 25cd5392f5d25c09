// A shim attachment as the Duplex that dockerode's hijacked attach/exec gives: output in Docker's
// 8-byte multiplexed framing ([stream,0,0,0,u32 BE len] + payload) without a TTY, raw bytes with one;
// writes go to the process's stdin; end() half-closes stdin (EOF with StdinOnce); destroy() detaches.
import { Duplex } from 'node:stream';
import { attachShim, type ShimAttachment } from '../native/index.js';

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

export function attachmentStream(a: ShimAttachment, opts: AttachStreamOptions): Duplex {
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    d.push(null);
  };
  const d = new Duplex({
    read() {
      a.socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (a.socket.destroyed) return cb();
      a.write(chunk);
      cb();
    },
    final(cb) {
      if (!a.socket.destroyed) a.end();
      cb();
    },
    destroy(err, cb) {
      a.close();
      cb(err);
    },
  });
  if (opts.prefix?.length) d.push(opts.prefix);
  const out = (stream: 1 | 2) => (b: Buffer) => {
    if (ended) return;
    if (!d.push(opts.tty ? b : muxFrame(stream, b))) a.socket.pause();
  };
  a.on('stdout', out(1));
  a.on('stderr', out(2));
  a.on('exit', (code: number) => {
    opts.onExit?.(code);
    finish();
  });
  a.on('close', finish);
  a.on('error', (e: Error) => d.destroy(e));
  return d;
}

/** Sends one resize over a fresh output-less connection and hangs up once it is flushed. */
export async function resizeOnce(socket: string, h: number, w: number): Promise<void> {
  const a = await attachShim(socket, { stdin: false, stdout: false, stderr: false });
  a.resize(h, w);
  await new Promise<void>((r) => a.socket.end(() => r()));
  a.close();
}
