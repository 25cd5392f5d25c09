// Helpers for the Ship facade tests: a runnable multi-layer image (busybox's layer plus two of its own),
// made in a data root before a Berth opens it, and readers for the facade's streams.
import { Readable } from 'node:stream';
import { openImageStores } from '../src/images/open.ts';
import type { ProgressMessage } from '../src/registry/progress.ts';
import { writeLayer } from '../src/layers/write.ts';
import { buildBusyboxImage } from '../src/starter/busybox.ts';
import { unpackImage } from '../src/snapshots/unpack.ts';
import { makeTar, readTar } from './layers-helpers.ts';

export interface SeededRoot {
  busyboxId: string;
  multiId: string;
}

/**
 * busybox:latest, and `multiTag`: busybox + /app/one + /app/two (layer 3 also replaces /app/one), whose
 * default command prints both files.
 */
export async function seedRoot(root: string, multiTag: string): Promise<SeededRoot> {
  const stores = await openImageStores(root);
  const bb = await buildBusyboxImage(stores);
  const base = await stores.images.get(bb.id);
  const baseCfg = await stores.images.config(base);
  const layers = [...base.layers];
  const diffIds = [...base.diffIds];
  const extra = [
    [{ name: 'app/', type: 'directory' as const, mode: 0o755 }, { name: 'app/one', body: 'one v1\n', mode: 0o644 }],
    [{ name: 'app/two', body: 'two\n', mode: 0o644 }, { name: 'app/one', body: 'one v2\n', mode: 0o644 }],
  ];
  for (const entries of extra) {
    const w = await writeLayer(Readable.from([await makeTar(entries)]), stores.content);
    layers.push({ mediaType: w.mediaType, digest: w.digest, size: w.size });
    diffIds.push(w.diffId);
  }
  const { sizes } = await unpackImage(stores.snapshots, stores.content, layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i]! })));
  const created = '2025-06-01T10:00:00Z';
  const rec = await stores.images.create({
    config: {
      ...baseCfg,
      created,
      config: { ...baseCfg.config, Cmd: ['sh', '-c', 'cat /app/one /app/two'], Labels: { 'org.example.kind': 'multi' } },
      history: [...(baseCfg.history ?? []), { created, created_by: 'ADD one' }, { created, created_by: 'ADD two' }],
      rootfs: { type: 'layers', diff_ids: diffIds },
    },
    layers,
    layerSizes: sizes,
    tags: [multiTag],
  });
  return { busyboxId: bb.id, multiId: rec.id };
}

export async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(parts);
}

export async function progressLines(s: NodeJS.ReadableStream): Promise<ProgressMessage[]> {
  const text = (await readAll(s)).toString('utf8');
  return text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as ProgressMessage);
}

/** Entries of a tar stream by name (without a leading "./"). */
export async function tarEntries(s: NodeJS.ReadableStream): Promise<Map<string, { type: string; body: Buffer }>> {
  const out = new Map<string, { type: string; body: Buffer }>();
  for (const e of await readTar(s as AsyncIterable<Uint8Array>)) out.set(e.name.replace(/^\.\//, ''), { type: e.type ?? 'file', body: e.body });
  return out;
}
