// The layer inspector on a hand-made five-layer image (analysis-helpers.ts): A/M/D marks, trees in both
// modes, wasted bytes and efficiency checked by hand arithmetic, file contents and diffs, the cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Analyzer } from '../src/analysis/analyzer.ts';
import type { TreeNode } from '../src/analysis/types.ts';
import { openImageStores, type ImageStores } from '../src/images/open.ts';
import { EngineError } from '../src/errors.ts';
import { makeInspectorImage, MiB10 } from './analysis-helpers.ts';

let root: string;
let stores: ImageStores;
let an: Analyzer;
let id: string;

before(async () => {
  root = fs.mkdtempSync('/var/tmp/berth-t-analysis-');
  stores = await openImageStores(root);
  id = await makeInspectorImage(stores, 'inspect:test');
  an = new Analyzer({ root, stores });
});

after(() => {
  an?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const kids = (n: TreeNode): Record<string, TreeNode> => Object.fromEntries((n.children ?? []).map((c) => [c.name, c]));

test('layers: sizes, history (empty layers interleaved) and A/M/D counts', async () => {
  const a = await an.analyze('inspect:test');
  assert.equal(a.image, id);
  assert.deepEqual(a.tags, ['inspect:test']);
  assert.deepEqual(
    a.layers.map((l) => l.sizeBytes),
    [5 + 1000 + 2000 + 3000, MiB10, MiB10 + 11, 0, 500 + 1000],
  );
  assert.deepEqual(
    a.layers.map((l) => l.changes),
    [
      { added: 7, modified: 0, removed: 0 }, // /data, keep, old, /data/sub, deep.bin, /etc, base.txt
      { added: 2, modified: 0, removed: 0 }, // /big, /big/file
      { added: 0, modified: 2, removed: 0 }, // /big/file (same size, other content), /etc/base.txt
      { added: 0, modified: 0, removed: 1 }, // /big/file
      { added: 1, modified: 1, removed: 2 }, // new.txt; /data (opaque); old.txt and sub
    ],
  );
  assert.deepEqual(a.layers.map((l) => l.fileCount), [4, 1, 2, 0, 2]);
  assert.equal(a.layers[1]!.createdBy, '/bin/sh -c dd of=/big/file # 10 MiB');
  assert.ok(a.layers.every((l) => l.digest.startsWith('sha256:') && l.diffId.startsWith('sha256:') && l.compressedSize > 0));
  assert.deepEqual(
    a.history.map((h) => [h.emptyLayer, h.layerIndex]),
    [[false, 0], [true, null], [false, 1], [false, 2], [false, 3], [false, 4]],
  );
});

test('wasted bytes and efficiency, by hand', async () => {
  const a = await an.analyze(id);
  const total = 6005 + MiB10 + (MiB10 + 11) + 0 + 1500;
  // Not in the final filesystem: all of L0 (base.txt overwritten; keep.txt, old.txt, deep.bin hidden by
  // the opaque /data), L1's /big/file (overwritten) and L2's /big/file (deleted). Kept: base.txt v2, L4.
  const wasted = 6005 + MiB10 + MiB10;
  assert.equal(a.sizeBytes, total);
  assert.equal(a.wastedBytes, wasted);
  assert.equal(a.finalBytes, 11 + 1500);
  assert.equal(a.efficiency, 1 - wasted / total);
  assert.equal(a.userWastedPercent, (MiB10 + MiB10) / total); // layers after the base one
  assert.deepEqual(a.layers.map((l) => l.wastedBytes), [6005, MiB10, MiB10, 0, 0]);
  assert.equal(a.mostWastefulLayer, 1);
  assert.deepEqual(a.inefficientFiles, [
    { path: '/big/file', count: 2, sizeBytes: 2 * MiB10 },
    { path: '/data/sub/deep.bin', count: 1, sizeBytes: 3000 },
    { path: '/data/old.txt', count: 1, sizeBytes: 2000 },
    { path: '/data/keep.txt', count: 2, sizeBytes: 1000 },
    { path: '/etc/base.txt', count: 2, sizeBytes: 5 },
  ]);
});

test('tree, this layer only: marks and removed entries', async () => {
  const t1 = await an.imageTree(id, 1, { mode: 'layer', depth: 2 });
  const big = kids(t1.node)['big']!;
  assert.equal(big.change, 'added');
  assert.equal(big.size, MiB10);
  assert.equal(kids(big)['file']!.change, 'added');

  const t2 = await an.imageTree(id, 2, { mode: 'layer', depth: 2 });
  assert.equal(kids(t2.node)['big']!.change, null); // the directory itself did not change
  assert.equal(kids(t2.node)['big']!.changedBelow, true);
  assert.equal(kids(kids(t2.node)['big']!)['file']!.change, 'modified');
  assert.equal(kids(kids(t2.node)['etc']!)['base.txt']!.change, 'modified');

  const t3 = await an.imageTree(id, 3, { mode: 'layer', path: '/big' });
  assert.deepEqual(
    t3.node.children!.map((c) => [c.name, c.change, c.size, c.layer]),
    [['file', 'removed', MiB10, 2]], // the version removed is layer 2's
  );

  const t4 = await an.imageTree(id, 4, { mode: 'layer', path: '/data' });
  assert.equal(t4.node.change, 'modified');
  assert.deepEqual(
    t4.node.children!.map((c) => [c.name, c.change, c.size]),
    [['keep.txt', null, 1000], ['new.txt', 'added', 500], ['old.txt', 'removed', 2000], ['sub', 'removed', 3000]],
  );
});

test('tree, aggregated: the filesystem up to a layer', async () => {
  const t1 = await an.imageTree(id, 1, { mode: 'aggregated', depth: 3 });
  assert.equal(t1.node.size, 6005 + MiB10);
  const k1 = kids(t1.node);
  assert.equal(k1['data']!.size, 6000);
  assert.equal(k1['data']!.change, null); // from layer 0, unchanged by layer 1
  assert.equal(k1['big']!.change, 'added');

  const top = await an.imageTree(id, undefined, { depth: 3 });
  assert.equal(top.layer, 4);
  assert.equal(top.node.size, 1511);
  const k = kids(top.node);
  assert.deepEqual(Object.keys(k), ['big', 'data', 'etc']);
  assert.equal(k['big']!.size, 0);
  assert.deepEqual(k['big']!.childCount, 0); // deleted in layer 3
  assert.equal(k['data']!.size, 1500);
  assert.deepEqual(
    k['data']!.children!.map((c) => [c.name, c.change, c.size, c.layer]),
    [['keep.txt', null, 1000, 4], ['new.txt', 'added', 500, 4], ['old.txt', 'removed', 2000, 0], ['sub', 'removed', 3000, 0]],
  );
  assert.deepEqual(kids(k['etc']!)['base.txt']!.size, 11);
  assert.equal(kids(k['etc']!)['base.txt']!.layer, 2);
});

test('tree queries: sort by size, filter, changed only, paging', async () => {
  const bySize = await an.imageTree(id, 4, { path: '/data', sort: 'size' });
  assert.deepEqual(bySize.node.children!.map((c) => c.name), ['sub', 'old.txt', 'keep.txt', 'new.txt']);
  const asc = await an.imageTree(id, 4, { path: '/data', sort: 'size', order: 'asc' });
  assert.deepEqual(asc.node.children!.map((c) => c.name), ['new.txt', 'keep.txt', 'old.txt', 'sub']);

  const filtered = await an.imageTree(id, 0, { filter: 'DEEP', depth: 5 });
  assert.deepEqual(filtered.node.children!.map((c) => c.name), ['data']);
  assert.deepEqual(kids(filtered.node)['data']!.children!.map((c) => c.name), ['sub']);

  const changed = await an.imageTree(id, 2, { changedOnly: true, depth: 3 });
  assert.deepEqual(changed.node.children!.map((c) => c.name), ['big', 'etc']);

  const page = await an.imageTree(id, 4, { path: '/data', limit: 2, offset: 1 });
  assert.deepEqual(page.node.children!.map((c) => c.name), ['new.txt', 'old.txt']);
  assert.equal(page.node.childCount, 4);
  assert.equal(page.node.more, 1);

  await assert.rejects(an.imageTree(id, 9), (e: EngineError) => e.statusCode === 400);
  await assert.rejects(an.imageTree(id, 0, { path: '/nope' }), (e: EngineError) => e.statusCode === 404);
  await assert.rejects(an.imageTree('no-such-image:1', 0), (e: EngineError) => e.statusCode === 404);
});

test('file contents: text, binary hexdump, ranges, versions per layer', async () => {
  const v0 = await an.fileContent(id, 0, '/etc/base.txt');
  assert.deepEqual([v0.content, v0.binary, v0.layer, v0.eof], ['base\n', false, 0, true]);
  const v4 = await an.fileContent(id, 4, 'etc/base.txt');
  assert.deepEqual([v4.content, v4.layer, v4.size], ['base\nline2\n', 2, 11]);
  const part = await an.fileContent(id, 2, '/big/file', { offset: MiB10 - 4, length: 100 });
  assert.deepEqual([part.content, part.length, part.eof], ['bbbb', 4, true]);
  const bin = await an.fileContent(id, 0, '/data/sub/deep.bin', { length: 32 });
  assert.equal(bin.binary, true);
  assert.equal(bin.content, '00000000: 0707 0707 0707 0707 0707 0707 0707 0707  ................\n00000010: 0707 0707 0707 0707 0707 0707 0707 0707  ................\n');
  assert.equal(bin.eof, false);
  await assert.rejects(an.fileContent(id, 0, '/data'), (e: EngineError) => e.statusCode === 400);
  // A path the layer removed shows the version it removed.
  const gone = await an.fileContent(id, 3, '/big/file', { length: 2 });
  assert.deepEqual([gone.content, gone.layer], ['bb', 2]);
  await assert.rejects(an.fileContent(id, 0, '/big/file'), (e: EngineError) => e.statusCode === 404);
  const chunks: Buffer[] = [];
  for await (const c of await an.openFile(id, 1, '/big/file')) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).length, MiB10);
});

test('file diff of a modified text file, and of a binary one', async () => {
  const d = await an.fileDiff(id, 2, '/etc/base.txt');
  assert.equal(d.change, 'modified');
  assert.equal(d.baseLayer, 0);
  assert.equal(d.unified, '--- a/etc/base.txt\n+++ b/etc/base.txt\n@@ -1 +1,2 @@\n base\n+line2\n');
  assert.deepEqual([d.addedLines, d.removedLines, d.oldSize, d.newSize], [1, 0, 5, 11]);
  const big = await an.fileDiff(id, 2, '/big/file');
  assert.equal(big.skipped, 'too-large');
  const small = await an.fileDiff(id, 2, '/big/file', { maxBytes: 16 << 20 });
  assert.equal(small.skipped, undefined); // 10 MiB of one letter is text: one line replaced
  assert.deepEqual([small.addedLines, small.removedLines], [1, 1]);
  const removed = await an.fileDiff(id, 4, '/data/old.txt');
  assert.equal(removed.change, 'removed');
  assert.match(removed.unified, /^--- a\/data\/old.txt\n\+\+\+ \/dev\/null\n@@ -1 \+0,0 @@\n-o+\n\\ No newline at end of file\n$/);
  await assert.rejects(an.fileDiff(id, 3, '/etc/base.txt'), (e: EngineError) => e.statusCode === 404);
});

test('index cache: one file per layer under <root>/analysis; a new analyzer reads it instead of walking', async () => {
  const files = fs.readdirSync(path.join(root, 'analysis')).filter((f) => f.endsWith('.json'));
  const rec = await stores.images.get(id);
  assert.deepEqual(files.sort(), rec.diffIds.map((d) => `${d.slice(7)}.json`).sort());
  // Hide a layer's snapshot: a fresh analyzer must answer from the cache files without walking it.
  const fresh = new Analyzer({ root, stores });
  const before = await an.analyze(id);
  const snap = await stores.snapshots.fsPath((await import('../src/snapshots/chain.ts')).chainIds(rec.diffIds)[1]!);
  fs.renameSync(snap, snap + '.hidden');
  try {
    assert.deepEqual(await fresh.analyze(id), before);
  } finally {
    fs.renameSync(snap + '.hidden', snap);
    fresh.close();
  }
});
