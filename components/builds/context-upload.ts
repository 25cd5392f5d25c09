// Build contexts from the browser: a picked folder becomes a tar here (tar-stream, the one tar library
// of the TypeScript side; paths kept, the top folder's name dropped), a picked tar goes as it is; both
// are POSTed raw to /api/builds/context.
import { pack } from 'tar-stream';

export type ContextChoice = { kind: 'none' } | { kind: 'folder'; files: File[] } | { kind: 'tar'; file: File };

/** "app/src/a.txt" picked from folder "app" → "src/a.txt". */
export function relativeInFolder(file: File): string {
  const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : rel;
}

/** A relative path with "/" separators, or null when it is empty or climbs out with "..". */
export function safeTarPath(p: string): string | null {
  const parts = p.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..')) return null;
  return parts.join('/');
}

export interface ContextFile {
  /** Relative path with "/" separators. */
  path: string;
  data: Uint8Array;
  mtime: Date;
}

/** A tar of these files, each parent directory (0755) before what it holds. */
export async function contextTar(files: ContextFile[]): Promise<Uint8Array[]> {
  const p = pack();
  const chunks: Uint8Array[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Uint8Array));
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  const add = (header: Parameters<typeof p.entry>[0], data: Uint8Array) =>
    new Promise<void>((resolve, reject) => p.entry(header, data, (err) => (err ? reject(err) : resolve())));
  const dirs = new Set<string>();
  for (const f of files) {
    const path = safeTarPath(f.path);
    if (!path) throw new Error(`Unsafe path in the build context: ${f.path}`);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      await add({ name: `${d}/`, type: 'directory', mode: 0o755, mtime: f.mtime }, new Uint8Array(0));
    }
    await add({ name: path, mode: 0o644, mtime: f.mtime }, f.data);
  }
  p.finalize();
  await ended;
  return chunks;
}

export async function folderTar(files: File[]): Promise<Blob> {
  const entries: ContextFile[] = [];
  for (const f of files) entries.push({ path: relativeInFolder(f), data: new Uint8Array(await f.arrayBuffer()), mtime: new Date(f.lastModified) });
  return new Blob((await contextTar(entries)) as BlobPart[], { type: 'application/x-tar' });
}

export async function uploadContext(choice: ContextChoice): Promise<string | undefined> {
  if (choice.kind === 'none') return undefined;
  const body = choice.kind === 'folder' ? await folderTar(choice.files) : choice.file;
  const res = await fetch('/api/builds/context', { method: 'POST', body, headers: { 'Content-Type': 'application/x-tar' } });
  const json = (await res.json()) as { contextId?: string; message?: string };
  if (!res.ok || !json.contextId) throw new Error(json.message ?? `Upload failed (HTTP ${res.status}).`);
  return json.contextId;
}
