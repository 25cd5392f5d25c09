// Build contexts from the browser: a picked folder becomes a tar here (paths kept, the top folder's name
// dropped), a picked tar goes as it is; both are POSTed raw to /api/builds/context.
import { tarArchive, type TarFile } from '../../server/api/routers/builds/ustar';

export type ContextChoice = { kind: 'none' } | { kind: 'folder'; files: File[] } | { kind: 'tar'; file: File };

/** "app/src/a.txt" picked from folder "app" → "src/a.txt". */
export function relativeInFolder(file: File): string {
  const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : rel;
}

export async function folderTar(files: File[]): Promise<Blob> {
  const entries: TarFile[] = [];
  for (const f of files) entries.push({ path: relativeInFolder(f), data: new Uint8Array(await f.arrayBuffer()), mtime: Math.floor(f.lastModified / 1000) });
  return new Blob(tarArchive(entries) as BlobPart[], { type: 'application/x-tar' });
}

export async function uploadContext(choice: ContextChoice): Promise<string | undefined> {
  if (choice.kind === 'none') return undefined;
  const body = choice.kind === 'folder' ? await folderTar(choice.files) : choice.file;
  const res = await fetch('/api/builds/context', { method: 'POST', body, headers: { 'Content-Type': 'application/x-tar' } });
  const json = (await res.json()) as { contextId?: string; message?: string };
  if (!res.ok || !json.contextId) throw new Error(json.message ?? `Upload failed (HTTP ${res.status}).`);
  return json.contextId;
}
