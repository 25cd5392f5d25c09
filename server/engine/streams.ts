// Small stream helpers between the Engine's byte streams and the routers' subscriptions.
import type { Readable } from 'node:stream';

/** Yields each JSON object of a newline-delimited JSON stream; ends when the stream or the signal ends. */
export async function* ndjson<T>(stream: Readable, signal?: AbortSignal): AsyncGenerator<T> {
  const stop = () => stream.destroy();
  signal?.addEventListener('abort', stop, { once: true });
  let rest = '';
  try {
    for await (const chunk of stream) {
      rest += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = rest.indexOf('\n')) !== -1) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (line) yield JSON.parse(line) as T;
      }
    }
    if (rest.trim()) yield JSON.parse(rest) as T;
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
    stream.destroy();
  }
}

/**
 * Incremental parser of Docker's 8-byte multiplexed framing ([stream,0,0,0,u32 BE length] + payload).
 * Used for logs and non-TTY attach/exec of both engines.
 */
export class MuxDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (stream: number, payload: Buffer) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    while (this.buf.length - off >= 8) {
      const len = this.buf.readUInt32BE(off + 4);
      if (this.buf.length - off < 8 + len) break;
      onFrame(this.buf[off]!, this.buf.subarray(off + 8, off + 8 + len));
      off += 8 + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }
}

/** Splits byte chunks of one stream into complete lines, keeping the partial tail until it completes or is flushed. */
export class LineAssembler {
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** Complete lines from this chunk (without their newline). */
  push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** The unfinished line, if any (a prompt without a newline); it is then forgotten. */
  flush(): string | null {
    if (!this.partial) return null;
    const p = this.partial;
    this.partial = '';
    return p;
  }
}
