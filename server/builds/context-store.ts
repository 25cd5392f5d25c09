// Uploaded build contexts: one plain tar per upload under $BERTH_ROOT/build-contexts, named by a random
// id, owned by the user who uploaded it, removed after its build (or after an hour unused).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { asNodeReadable, asNodeWritable } from '@berth/runtime';
import * as tar from 'tar-stream';

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
    await checkTar(file);
    return { id, bytes };
  } catch (err) {
    fs.rmSync(raw, { force: true });
    fs.rmSync(file, { force: true });
    throw err;
  }
}

const notATar = () => Object.assign(new Error('The upload is not a tar archive.'), { statusCode: 400 });

/** Reads every entry of `src` into `onEntry` (which must call next once the entry is consumed). */
function readTar(src: Readable, onEntry: (header: tar.Header, stream: Readable, next: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const ex = tar.extract();
    const fail = (err: unknown) => {
      src.destroy();
      ex.destroy();
      reject(err);
    };
    ex.on('entry', (header, stream, next) => onEntry(header, asNodeReadable(stream), next));
    ex.on('finish', () => resolve());
    ex.on('error', fail);
    src.on('error', fail);
    src.pipe(asNodeWritable(ex));
  });
}

/** Rejects (400) unless the file is a whole tar archive (an empty file is an empty context). */
export async function checkTar(file: string): Promise<void> {
  try {
    await readTar(fs.createReadStream(file), (_h, stream, next) => {
      stream.on('end', () => next());
      stream.resume();
    });
  } catch {
    throw notATar();
  }
}

const entryName = (name: string) => name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

/** The context the engine gets: the uploaded entries (if any), then the editor's Dockerfile under `name`. */
export function composeContext(root: string, userId: string, contextId: string | undefined, dockerfileName: string, dockerfile: string): { stream: Readable; cleanup: () => void } {
  const file = contextId ? fileOf(root, contextId, userId) : null;
  if (file && !fs.existsSync(file)) throw Object.assign(new Error('That build context is gone; upload it again.'), { statusCode: 404 });
  const pack = tar.pack();
  const src = file ? fs.createReadStream(file) : null;
  const copied = src
    ? readTar(src, (header, stream, next) => {
        // The editor's Dockerfile replaces an uploaded file of the same name.
        if (entryName(header.name) === dockerfileName) {
          stream.on('end', () => next());
          stream.resume();
        } else stream.pipe(asNodeWritable(pack.entry(header, next)));
      })
    : Promise.resolve();
  copied.then(
    () => {
      pack.entry({ name: dockerfileName, mode: 0o644, mtime: new Date() }, new TextEncoder().encode(dockerfile));
      pack.finalize();
    },
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  // A consumer that stops early (a cancelled build) stops the copy too.
  pack.on('close', () => src?.destroy());
  return { stream: Readable.from(pack), cleanup: () => (file ? fs.rmSync(file, { force: true }) : undefined) };
}
