// Helpers for the builder tests: a context tar from a file map, a build run to completion with its
// JSON lines collected, and checks that nothing of a build is left behind.
import { Readable } from 'node:stream';
import type { Berth } from '../src/index.ts';
import type { BuildOptions } from '../src/engine/engine.ts';
import { makeTar, type TarEntry } from './layers-helpers.ts';

export type ContextFiles = Record<string, string | Buffer | { body?: string | Buffer; mode?: number; type?: TarEntry['type']; linkname?: string; mtime?: Date; uid?: number; gid?: number }>;

export async function contextTar(files: ContextFiles): Promise<Buffer> {
  const entries: TarEntry[] = Object.entries(files).map(([name, v]) => {
    if (typeof v === 'string' || Buffer.isBuffer(v)) return { name, body: v, mode: 0o644 };
    const e: TarEntry = { name, mode: v.mode ?? (v.type === 'directory' ? 0o755 : 0o644) };
    if (v.type) e.type = v.type;
    if (v.body !== undefined) e.body = v.body;
    if (v.linkname) e.linkname = v.linkname;
    if (v.mtime) e.mtime = v.mtime;
    if (v.uid !== undefined) e.uid = v.uid;
    if (v.gid !== undefined) e.gid = v.gid;
    return e;
  });
  return makeTar(entries);
}

export interface BuildRun {
  lines: Array<Record<string, unknown>>;
  /** The `stream` texts joined. */
  text: string;
  id?: string;
  error?: string;
  ms: number;
}

export async function build(b: Berth, files: ContextFiles | Buffer, opts: BuildOptions = {}): Promise<BuildRun> {
  const tar = Buffer.isBuffer(files) ? files : await contextTar(files);
  const t0 = performance.now();
  const s = await b.buildImage(Readable.from([tar]), opts);
  let raw = '';
  for await (const c of s) raw += c.toString();
  const ms = performance.now() - t0;
  const lines = raw.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const out: BuildRun = { lines, text: lines.map((l) => (typeof l.stream === 'string' ? l.stream : '')).join(''), ms };
  const aux = lines.find((l) => l.aux);
  if (aux) out.id = (aux.aux as { ID: string }).ID;
  const err = lines.find((l) => l.errorDetail);
  if (err) out.error = (err.errorDetail as { message: string }).message;
  return out;
}

/** The build must have succeeded; returns its image ID. */
export function ok(r: BuildRun): string {
  if (r.error || !r.id) throw new Error(`build failed: ${r.error ?? 'no image'}\n${r.text}`);
  return r.id;
}
