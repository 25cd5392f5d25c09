// Uploaded build contexts: one plain tar per upload under $BERTH_ROOT/build-contexts, named by a random
// id, owned by the user who uploaded it, removed after its build (or after an hour unused).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { tarEntries, tarEnd } from './ustar.ts';

const MAX_AGE_MS = 60 * 60 * 1000;
const ID = /^[0-9a-f-]{36}$/;

export const contextDir = (root: string) => path.join(root, 'build-contexts');

function fileOf(root: string, id: string, userId: string): string {
  if (!ID.test(id) || !/^[A-Za-z0-9_-]{1,64}$/.test(userId)) throw new Error('Bad build context id.');
  return path.join(contextDir(root), `${userId}.${id}.tar`);
}

function sweep(dir: string): void {
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > MAX_AGE_MS) fs.rmSync(p, { force: true });
    } catch {
      // Raced with another sweep or a build's own clean-up.
    }
  }
}

/** Stores an uploaded tar (plain or gzip, told by its first bytes); returns its id and size. */
export async function saveContext(root: string, userId: string, body: Readable, maxBytes: number): Promise<{ id: string; bytes: number }> {
  const dir = contextDir(root);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  sweep(dir);
  const id = randomUUID();
  const file = fileOf(root, id, userId);
  const raw = `${file}.upload`;
  let bytes = 0;
  const limit = async function* (src: AsyncIterable<Buffer>) {
    for await (const chunk of src) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw Object.assign(new Error(`The build context is larger than ${maxBytes} bytes.`), { statusCode: 413 });
      yield chunk;
    }
  };
  try {
    await pipeline(body, limit, fs.createWriteStream(raw, { mode: 0o600 }));
    const fd = fs.openSync(raw, 'r');
    const magic = Buffer.alloc(2);
    fs.readSync(fd, magic, 0, 2, 0);
    fs.closeSync(fd);
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      await pipeline(fs.createReadStream(raw), createGunzip(), fs.createWriteStream(file, { mode: 0o600 }));
      fs.rmSync(raw);
    } else fs.renameSync(raw, file);
    tarDataEnd(file);
    return { id, bytes };
  } catch (err) {
    fs.rmSync(raw, { force: true });
    fs.rmSync(file, { force: true });
    throw err;
  }
}

/** Offset where the archive's entries end (its end-of-archive blocks start); throws when it is not a tar. */
export function tarDataEnd(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const h = Buffer.alloc(512);
    let off = 0;
    while (off + 512 <= size) {
      fs.readSync(fd, h, 0, 512, off);
      if (h.every((b) => b === 0)) return off;
      if (off === 0 && h.toString('latin1', 257, 262) !== 'ustar') throw Object.assign(new Error('The upload is not a tar archive.'), { statusCode: 400 });
      const sizeField = h.toString('latin1', 124, 136).replace(/\0.*$/, '').trim();
      // GNU base-256 sizes (first byte 0x80) are for files over 8 GiB: not a build context.
      const n = h[124]! & 0x80 ? NaN : parseInt(sizeField || '0', 8);
      if (!Number.isFinite(n)) throw Object.assign(new Error('The tar archive has an entry size this server does not read.'), { statusCode: 400 });
      off += 512 + Math.ceil(n / 512) * 512;
    }
    if (off === 0 && size === 0) return 0;
    return Math.min(off, size);
  } finally {
    fs.closeSync(fd);
  }
}

/** The context the engine gets: the uploaded entries (if any), then the editor's Dockerfile under `name`. */
export function composeContext(root: string, userId: string, contextId: string | undefined, dockerfileName: string, dockerfile: string): { stream: Readable; cleanup: () => void } {
  const file = contextId ? fileOf(root, contextId, userId) : null;
  if (file && !fs.existsSync(file)) throw Object.assign(new Error('That build context is gone; upload it again.'), { statusCode: 404 });
  const end = file ? tarDataEnd(file) : 0;
  const tail = [...tarEntries([{ path: dockerfileName, data: new TextEncoder().encode(dockerfile) }]), tarEnd()];
  async function* parts() {
    if (file && end > 0) yield* fs.createReadStream(file, { start: 0, end: end - 1 });
    for (const t of tail) yield Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  }
  return { stream: Readable.from(parts()), cleanup: () => (file ? fs.rmSync(file, { force: true }) : undefined) };
}
