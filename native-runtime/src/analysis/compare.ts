// Two images side by side: the layers they share from the base up (by diffID), where they diverge, and
// the difference of their final filesystems. A path is modified when type, mode, owner, content hash or
// link target differs (directories: type, mode and owner only); directories are listed only then.
import type { CompareOptions } from './schemas.js';
import type { LayerStack, Ver } from './stack.js';
import type { ChangeMark, CompareEntry, EntryType, ImageComparison } from './types.js';

function fingerprint(s: LayerStack, v: Ver): string {
  const e = s.entry(v);
  const t = e.type === 'hardlink' ? 'file' : e.type;
  const body = t === 'file' ? e.hash : t === 'symlink' ? e.link : '';
  return `${t}|${e.mode}|${e.uid}|${e.gid}|${body}`;
}

function fileSize(s: LayerStack, v: Ver): number {
  const e = s.entry(v);
  // A hardlink's bytes are counted at its first name; for a comparison the file's size is what matters.
  if (e.type === 'hardlink' && e.link) {
    const first = s.visible.get(e.link);
    if (first) return s.sizeOf(first);
  }
  return e.size;
}

const publicType = (t: string): EntryType => (t === 'whiteout' ? 'char' : (t as EntryType));

export function compareStacks(
  a: { id: string; diffIds: string[]; stack: LayerStack },
  b: { id: string; diffIds: string[]; stack: LayerStack },
  opts: CompareOptions,
): ImageComparison {
  const shared: Array<{ index: number; diffId: string }> = [];
  while (shared.length < a.diffIds.length && shared.length < b.diffIds.length && a.diffIds[shared.length] === b.diffIds[shared.length]) {
    shared.push({ index: shared.length, diffId: a.diffIds[shared.length]! });
  }
  const same = a.diffIds.length === b.diffIds.length && shared.length === a.diffIds.length;
  const needle = opts.filter?.toLowerCase();
  const paths = new Set<string>([...a.stack.visible.keys(), ...b.stack.visible.keys()]);
  const sorted = [...paths].sort();
  const entries: CompareEntry[] = [];
  const totals = { added: 0, modified: 0, removed: 0, addedBytes: 0, removedBytes: 0, modifiedBytesDelta: 0 };
  if (!same) {
    for (const p of sorted) {
      if (needle && !p.toLowerCase().includes(needle)) continue;
      const va = a.stack.visible.get(p);
      const vb = b.stack.visible.get(p);
      let change: ChangeMark;
      if (va && vb) {
        if (fingerprint(a.stack, va) === fingerprint(b.stack, vb)) continue;
        change = 'modified';
      } else change = va ? 'removed' : 'added';
      const sizeA = va ? fileSize(a.stack, va) : 0;
      const sizeB = vb ? fileSize(b.stack, vb) : 0;
      const type = publicType(vb ? b.stack.typeOf(vb) : a.stack.typeOf(va!));
      if (change === 'added') {
        totals.added++;
        totals.addedBytes += sizeB;
      } else if (change === 'removed') {
        totals.removed++;
        totals.removedBytes += sizeA;
      } else {
        totals.modified++;
        totals.modifiedBytesDelta += sizeB - sizeA;
      }
      entries.push({ path: p, change, type, sizeA, sizeB });
    }
  }
  const page = entries.slice(opts.offset, opts.offset + opts.limit);
  return {
    a: a.id,
    b: b.id,
    sharedLayers: shared,
    divergeIndex: same ? null : shared.length,
    totals,
    entries: page,
    more: Math.max(0, entries.length - opts.offset - page.length),
  };
}
