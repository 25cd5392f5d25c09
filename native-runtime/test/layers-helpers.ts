// Shared test helpers: temp roots under /var/tmp and in-memory tars.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar-stream';
import { DOCKER_API_FIXTURES } from './support/fixtures.ts';

export async function tmpRoot(t: { after: (fn: () => Promise<void> | void) => void }, prefix = 'berth-test-'): Promise<string> {
  const dir = await fsp.mkdtemp(path.join('/var/tmp', prefix));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

export type TarEntry = Partial<tar.Header> & { name: string; body?: string | Buffer };

export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    const { body, ...h } = e;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body !== undefined) pack.entry({ mtime: new Date(1700000000000), ...h, type: h.type ?? 'file' }, body, cb);
      else pack.entry({ mtime: new Date(1700000000000), ...h }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function readTar(src: AsyncIterable<Uint8Array>): Promise<Array<tar.Header & { body: Buffer }>> {
  const ex = tar.extract();
  const out: Array<tar.Header & { body: Buffer }> = [];
  const feed = (async () => {
    for await (const c of src) ex.write(c as Buffer);
    ex.end(undefined as unknown as Buffer);
  })();
  for await (const entry of ex) {
    const parts: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) parts.push(c);
    out.push({ ...entry.header, body: Buffer.concat(parts) });
  }
  await feed;
  return out;
}

/** Every path under `dir` with its type and size, for "nothing changed here" checks. */
export async function listTree(dir: string, skip?: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of (await fsp.readdir(d)).sort()) {
      const p = path.join(d, name);
      if (p === skip) continue;
      const st = await fsp.lstat(p);
      out.push(`${path.relative(dir, p)} ${st.mode.toString(8)} ${st.size}`);
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out;
}

/** The JSON "shape": key order and value kinds, recursively (array items merged into one shape). */
export function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? ['array', shape(v[0])] : ['array'];
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

export const FIXTURES = DOCKER_API_FIXTURES;
