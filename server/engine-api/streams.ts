// Streaming responses: JSON lines (pull, build, events, stats), tar (save, export, archive), and the
// 8-byte multiplexed framing of logs/attach/exec without a TTY ([stream, 0, 0, 0, u32 BE length]).
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { engineHeaders } from './http.ts';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MUX_STREAM = 'application/vnd.docker.multiplexed-stream';

export function muxFrame(stream: 0 | 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Splits a multiplexed byte stream back into stdout and stderr (tests, the dockerode-free client). */
export function demuxBuffer(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    const body = buf.subarray(i + 8, i + 8 + len);
    (buf[i] === 2 ? err : out).push(body);
    i += 8 + len;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/**
 * Sends a stream as a chunked 200 response. Resolves when it has all been written or the client went
 * away; a client that hangs up destroys the source, so nothing keeps running for nobody.
 */
export function streamResponse(res: ServerResponse, source: Readable, contentType: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  if (!res.headersSent) {
    res.writeHead(200, { ...engineHeaders(), 'Content-Type': contentType, ...extraHeaders });
    res.flushHeaders();
  }
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve();
    };
    source.on('data', (chunk: Buffer | string) => {
      if (!res.write(chunk)) {
        source.pause();
        res.once('drain', () => source.resume());
      }
    });
    source.once('end', () => res.end(finish));
    source.once('error', (err: Error) => {
      // Headers are out: the only honest signal left is a cut-off response.
      res.destroy(err);
      finish();
    });
    res.once('close', () => {
      if (!source.readableEnded) source.destroy();
      finish();
    });
  });
}

/** A Buffer or stream body, whichever the engine gave. */
export async function sendBody(res: ServerResponse, body: Buffer | Readable, contentType: string): Promise<void> {
  if (Buffer.isBuffer(body)) {
    res.writeHead(200, { ...engineHeaders(), 'Content-Type': contentType, 'Content-Length': body.length });
    res.end(body);
    return;
  }
  await streamResponse(res, body, contentType);
}
