// Layers arrive gzip-compressed or plain; the media type is not always trustworthy, the magic bytes are.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LayerError } from './errors.js';

const INFLATE_CHUNK = 1 << 20;

export type ByteStream = AsyncIterable<Uint8Array | string>;

async function* asBuffers(src: ByteStream): AsyncGenerator<Buffer> {
  for await (const c of src) yield typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

/** Returns the uncompressed byte stream, decompressing gzip when the magic says so. */
export async function decompressed(src: ByteStream): Promise<Readable> {
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
  const raw = Readable.from(rest(), { objectMode: false });
  if (first[0] === 0x1f && first[1] === 0x8b) {
    // zlib's default 16 KiB output chunks cost a thread-pool round trip and a Buffer each: inflating in
    // 1 MiB steps takes half the CPU time.
    const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
    raw.on('error', (e) => gunzip.destroy(e));
    return raw.pipe(gunzip);
  }
  if (first.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) {
    raw.destroy();
    throw new LayerError('UNSUPPORTED_COMPRESSION', 'zstd-compressed layers are not supported');
  }
  if (first.subarray(0, 3).toString('latin1') === 'BZh' || first.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    raw.destroy();
    throw new LayerError('UNSUPPORTED_COMPRESSION', 'bzip2/xz-compressed layers are not supported');
  }
  return raw;
}
