// Layers arrive gzip-compressed or plain; the media type is not always trustworthy, the magic bytes are.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LayerError } from './errors.js';

const INFLATE_CHUNK = 1 << 20;

export type ByteStream = AsyncIterable<Uint8Array | string>;

async function* asBuffers(src: ByteStream): AsyncGenerator<Buffer> {
  for await (const c of src) yield typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** What the magic bytes say (Docker's compression.DetectCompression). */
export function detectCompression(head: Uint8Array): Compression {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 3 && b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (b.length >= 4 && b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'none';
}

/** The stream's first bytes (up to 6, enough for every magic) and the whole stream, those bytes included. */
export async function peekMagic(src: ByteStream): Promise<{ head: Buffer; stream: Readable }> {
  const it = asBuffers(src)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let n = 0;
  let done = false;
  while (n < 6) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    n += r.value.length;
  }
  const first = Buffer.concat(head);
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  };
  return { head: first, stream: Readable.from(rest(), { objectMode: false }) };
}

/** gunzip in 1 MiB steps: zlib's default 16 KiB output chunks cost a thread-pool round trip and a Buffer each. */
export function gunzip(raw: Readable): Readable {
  const g = createGunzip({ chunkSize: INFLATE_CHUNK });
  raw.on('error', (e) => g.destroy(e));
  return raw.pipe(g);
}

/** Returns the uncompressed byte stream, decompressing gzip when the magic says so. */
export async function decompressed(src: ByteStream): Promise<Readable> {
  const { head, stream: raw } = await peekMagic(src);
  const kind = detectCompression(head);
  if (kind === 'gzip') return gunzip(raw);
  if (kind === 'none') return raw;
  raw.destroy();
  throw new LayerError('UNSUPPORTED_COMPRESSION', kind === 'zstd' ? 'zstd-compressed layers are not supported' : 'bzip2/xz-compressed layers are not supported');
}
