// Filesystem content store: <root>/blobs/sha256/<hex>, with writes staged in <root>/ingest/<ref>.
import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir } from '../util/atomic.js';
import { DIGEST_RE, sha256Hex } from '../util/ids.js';
import { ContentError } from './errors.js';
import type { BlobInfo, ByteSource, ContentStore, Descriptor } from './types.js';

export class FsContentStore implements ContentStore {
  readonly root: string;
  private readonly blobDir: string;
  private readonly ingestDir: string;
  // Refs being written by this process; a second writer of the same ref would corrupt the first.
  private readonly active = new Set<string>();

  constructor(root: string) {
    this.root = root;
    this.blobDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
  }

  static async open(root: string, opts: { cleanIngest?: boolean } = {}): Promise<FsContentStore> {
    const s = new FsContentStore(root);
    await s.init();
    if (opts.cleanIngest) await s.cleanIngest();
    return s;
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.blobDir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  path(digest: string): string {
    return path.join(this.blobDir, checkDigest(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fsp.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async info(digest: string): Promise<BlobInfo> {
    try {
      const st = await fsp.stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      throw notFound(digest, err);
    }
  }

  async readStream(digest: string): Promise<Readable> {
    await this.info(digest); // fail with NOT_FOUND now rather than as a stream error later
    return createReadStream(this.path(digest));
  }

  async readBuffer(digest: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.path(digest));
    } catch (err) {
      throw notFound(digest, err);
    }
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.readBuffer(digest)).toString('utf8')) as T;
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await fsp.unlink(this.path(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    const names = (await fsp.readdir(this.blobDir)).filter((n) => /^[a-f0-9]{64}$/.test(n));
    // Stats in parallel batches: a store after a long build holds tens of thousands of blobs.
    for (let i = 0; i < names.length; i += 64) {
      const batch = names.slice(i, i + 64);
      const stats = await Promise.all(batch.map((n) => fsp.stat(path.join(this.blobDir, n)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)))));
      stats.forEach((st, k) => st && out.push({ digest: 'sha256:' + batch[k]!, size: st.size }));
    }
    return out;
  }

  async cleanIngest(): Promise<number> {
    let n = 0;
    for (const name of await fsp.readdir(this.ingestDir)) {
      if (this.active.has(name)) continue;
      await fsp.rm(path.join(this.ingestDir, name), { recursive: true, force: true });
      n++;
    }
    return n;
  }

  async ingest(ref: string, source: ByteSource, expected: { digest?: string; size?: number } = {}): Promise<BlobInfo> {
    if (expected.digest !== undefined) checkDigest(expected.digest);
    const name = ingestName(ref);
    if (this.active.has(name)) throw new ContentError('INGEST_BUSY', `ingest ${ref} is already being written`);
    this.active.add(name);
    const tmp = path.join(this.ingestDir, name);
    try {
      // 'w' truncates a stale leftover of the same ref from a crashed run.
      const fh = await fsp.open(tmp, 'w', 0o444);
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of iterate(source)) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          size += buf.length;
          if (expected.size !== undefined && size > expected.size) {
            throw new ContentError('SIZE_MISMATCH', `ingest ${ref}: more than the expected ${expected.size} bytes`);
          }
          hash.update(buf);
          await writeAll(fh, buf);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const digest = 'sha256:' + hash.digest('hex');
      if (expected.size !== undefined && size !== expected.size) {
        throw new ContentError('SIZE_MISMATCH', `ingest ${ref}: got ${size} bytes, expected ${expected.size}`);
      }
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw new ContentError('DIGEST_MISMATCH', `ingest ${ref}: got ${digest}, expected ${expected.digest}`);
      }
      await fsp.rename(tmp, this.path(digest));
      await fsyncDir(this.blobDir);
      return { digest, size };
    } catch (err) {
      await fsp.rm(tmp, { force: true }).catch(() => {});
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC' && !(err instanceof ContentError)) {
        throw new ContentError('ENOSPC', `no space left on device while writing ${ref} into ${this.root}`, { cause: err });
      }
      throw err;
    } finally {
      this.active.delete(name);
    }
  }

  async putJson(value: unknown, mediaType: string): Promise<Descriptor> {
    const buf = Buffer.from(JSON.stringify(value));
    const digest = 'sha256:' + sha256Hex(buf);
    if (!(await this.has(digest))) await this.ingest(`json-${digest.slice(7)}`, buf, { digest, size: buf.length });
    return { mediaType, digest, size: buf.length };
  }
}

/** write(2) may write less than asked (e.g. when the disk fills up); the next call reports why. */
async function writeAll(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

function checkDigest(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new ContentError('INVALID_DIGEST', `invalid digest ${JSON.stringify(digest)}`);
  return digest.slice(7);
}

function notFound(digest: string, err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new ContentError('NOT_FOUND', `blob ${digest} not found`);
  return err;
}

/** Refs are arbitrary strings (often references); file names must not be. */
function ingestName(ref: string): string {
  return /^[A-Za-z0-9._-]{1,100}$/.test(ref) && !ref.startsWith('.') ? ref : 'h-' + sha256Hex(ref);
}

async function* iterate(source: ByteSource): AsyncIterable<Uint8Array | string> {
  if (typeof source === 'string' || source instanceof Uint8Array) {
    yield source;
    return;
  }
  yield* source;
}
