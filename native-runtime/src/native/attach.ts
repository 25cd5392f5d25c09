// Client side of the shim's attach socket (docs/runtime.md, "Attach protocol"): a handshake line,
// then frames of [u8 kind][3 zero][u32 BE length] + payload in both directions.
import { EventEmitter } from 'node:events';
import net from 'node:net';

export const FRAME_STDIN = 0;
export const FRAME_STDOUT = 1;
export const FRAME_STDERR = 2;
export const FRAME_CONTROL = 3;

export interface Frame {
  kind: number;
  payload: Buffer;
}

export function encodeFrame(kind: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Incremental frame parser: push() chunks, get whole frames back. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      out.push({ kind: this.buf[0]!, payload: this.buf.subarray(8, 8 + len) });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

/**
 * One attached client. Events: 'stdout' (Buffer), 'stderr' (Buffer), 'exit' (code: number, sent by
 * the shim after exit.json is written), 'control' (parsed JSON of any other control frame),
 * 'close' (), 'error' (Error).
 */
export class ShimAttachment extends EventEmitter {
  readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder();

  constructor(socket: net.Socket) {
    super();
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) {
        if (f.kind === FRAME_STDOUT) this.emit('stdout', f.payload);
        else if (f.kind === FRAME_STDERR) this.emit('stderr', f.payload);
        else if (f.kind === FRAME_CONTROL) {
          let msg: unknown;
          try {
            msg = JSON.parse(f.payload.toString('utf8'));
          } catch {
            continue;
          }
          if (msg && typeof msg === 'object' && 'exit' in msg) this.emit('exit', (msg as { exit: number }).exit);
          else this.emit('control', msg);
        }
      }
    });
    socket.on('close', () => this.emit('close'));
    socket.on('error', (e) => {
      if (this.listenerCount('error')) this.emit('error', e);
    });
  }

  /** Sends data to the process's stdin (if this client attached with stdin and the process has one). */
  write(data: Buffer | string): boolean {
    return this.socket.write(encodeFrame(FRAME_STDIN, data));
  }

  /** TIOCSWINSZ on the pty (terminal processes only). */
  resize(h: number, w: number): void {
    this.socket.write(encodeFrame(FRAME_CONTROL, JSON.stringify({ resize: { h, w } })));
  }

  /** With stdinOnce, from the first stdin client: the process's stdin reaches EOF (a pty gets ^D). */
  closeStdin(): void {
    this.socket.write(encodeFrame(FRAME_CONTROL, JSON.stringify({ closeStdin: true })));
  }

  /**
   * Half-closes: no more input from this client (with stdinOnce, from the stdin client, the process's
   * stdin reaches EOF), but output and the exit frame still arrive. `echo hi | docker attach` semantics.
   */
  end(): void {
    this.socket.end();
  }

  /** Detaches; the process keeps running (unless this was the stdinOnce client: then stdin closes). */
  close(): void {
    this.socket.destroy();
  }
}

/** Connects to a shim's attach socket and sends the handshake. */
export function attachShim(socketPath: string, opts: AttachOptions = {}): Promise<ShimAttachment> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    const onError = (e: Error): void => reject(e);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      const hello = { stdin: !!opts.stdin, stdout: opts.stdout ?? true, stderr: opts.stderr ?? true };
      socket.write(`${JSON.stringify(hello)}\n`);
      resolve(new ShimAttachment(socket));
    });
  });
}
