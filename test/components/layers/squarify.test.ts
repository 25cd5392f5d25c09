import assert from 'node:assert/strict';
import { test } from 'node:test';
import { squarify } from '../../../components/layers/squarify.ts';

test('squarify fills the box exactly, areas proportional to weights, no overlaps', () => {
  const items = [6, 6, 4, 3, 2, 2, 1];
  const box = { x: 0, y: 0, w: 600, h: 400 };
  const out = squarify(items, (n) => n, box);
  assert.equal(out.length, items.length);
  const total = items.reduce((a, b) => a + b, 0);
  for (const r of out) {
    assert.ok(Math.abs(r.w * r.h - (r.item / total) * 600 * 400) < 1e-6, `area of ${r.item}`);
    assert.ok(r.x >= -1e-9 && r.y >= -1e-9 && r.x + r.w <= 600 + 1e-6 && r.y + r.h <= 400 + 1e-6, 'inside the box');
  }
  for (let i = 0; i < out.length; i++)
    for (let j = i + 1; j < out.length; j++) {
      const a = out[i]!;
      const b = out[j]!;
      const overlap = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
      assert.ok(overlap < 1e-6, `items ${a.item} and ${b.item} overlap`);
    }
  // Squarified: no sliver; the worst aspect ratio of this classic example stays small.
  const worst = Math.max(...out.map((r) => Math.max(r.w / r.h, r.h / r.w)));
  assert.ok(worst < 3, `worst aspect ratio ${worst}`);
});

test('squarify drops zero weights and answers nothing for an empty box', () => {
  assert.deepEqual(squarify([0, 0], (n) => n, { x: 0, y: 0, w: 10, h: 10 }), []);
  assert.deepEqual(squarify([1], (n) => n, { x: 0, y: 0, w: 0, h: 10 }), []);
  assert.equal(squarify([0, 5], (n) => n, { x: 0, y: 0, w: 10, h: 10 }).length, 1);
});
