// A line diff (Myers' O(ND) algorithm) and its unified-diff rendering. The common head and tail are
// trimmed first; if the rest needs more than MAX_EDIT_DISTANCE edits, the middle is reported as one
// replacement instead of spending quadratic memory on the exact shortest script.

const MAX_EDIT_DISTANCE = 2000;

type Op = 0 | 1 | 2; // 0 keep, 1 delete (from a), 2 insert (from b)

interface Edit {
  op: Op;
  /** Line index in a (keep/delete) or b (insert). */
  ai: number;
  bi: number;
}

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, finalNewline };
}

/** The shortest edit script between two int sequences (Myers), or null beyond maxD edits. */
function myers(a: Int32Array, b: Int32Array, maxD: number): Op[] | null {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= Math.min(max, maxD); d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) return null;
  // Walk the trace back from (n, m).
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d]!; // V as it was before step d, indexes k in [-d-1, d+1] at vd[k + d + 1]
    const at = (k: number): number => vd[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push(0);
      x--;
      y--;
    }
    ops.push(prevK === k + 1 ? 2 : 1);
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push(0);
    x--;
    y--;
  }
  return ops.reverse();
}

function editScript(a: string[], b: string[]): Edit[] {
  const ids = new Map<string, number>();
  const id = (s: string): number => {
    let v = ids.get(s);
    if (v === undefined) ids.set(s, (v = ids.size));
    return v;
  };
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = Int32Array.from(a.slice(head, a.length - tail), id);
  const bm = Int32Array.from(b.slice(head, b.length - tail), id);
  const mid = myers(am, bm, MAX_EDIT_DISTANCE) ?? [...Array<Op>(am.length).fill(1), ...Array<Op>(bm.length).fill(2)];
  const edits: Edit[] = [];
  let ai = 0;
  let bi = 0;
  for (let i = 0; i < head; i++) edits.push({ op: 0, ai: ai++, bi: bi++ });
  for (const op of mid) {
    if (op === 0) edits.push({ op, ai: ai++, bi: bi++ });
    else if (op === 1) edits.push({ op, ai: ai++, bi });
    else edits.push({ op, ai, bi: bi++ });
  }
  for (let i = 0; i < tail; i++) edits.push({ op: 0, ai: ai++, bi: bi++ });
  return edits;
}

export interface UnifiedDiff {
  text: string;
  added: number;
  removed: number;
}

const range = (start: number, count: number): string => (count === 1 ? `${start + 1}` : `${count === 0 ? start : start + 1},${count}`);

/**
 * A unified diff of two texts ('' when equal), with `context` lines around each change. A last line
 * without a newline compares unequal to the same line with one, and is followed by git's
 * "\\ No newline at end of file".
 */
export function unifiedDiff(oldText: string, newText: string, opts: { oldName: string; newName: string; context?: number }): UnifiedDiff {
  const A = splitLines(oldText);
  const B = splitLines(newText);
  const keyed = (s: { lines: string[]; finalNewline: boolean }): string[] =>
    s.finalNewline ? s.lines : s.lines.map((l, i) => (i === s.lines.length - 1 ? l + NO_NEWLINE : l));
  const edits = editScript(keyed(A), keyed(B));
  const ctx = opts.context ?? 3;
  let added = 0;
  let removed = 0;
  const changeAt: number[] = [];
  edits.forEach((e, i) => {
    if (e.op !== 0) changeAt.push(i);
    if (e.op === 1) removed++;
    if (e.op === 2) added++;
  });
  if (!changeAt.length) return { text: '', added: 0, removed: 0 };
  const noNewline = (lines: { lines: string[]; finalNewline: boolean }, idx: number): boolean => !lines.finalNewline && idx === lines.lines.length - 1;
  const out: string[] = [`--- ${opts.oldName}`, `+++ ${opts.newName}`];
  let i = 0;
  while (i < changeAt.length) {
    const start = Math.max(0, changeAt[i]! - ctx);
    let end = Math.min(edits.length, changeAt[i]! + ctx + 1);
    let j = i + 1;
    while (j < changeAt.length && changeAt[j]! - ctx <= end) {
      end = Math.min(edits.length, changeAt[j]! + ctx + 1);
      j++;
    }
    const hunk = edits.slice(start, end);
    const first = hunk[0]!;
    const aCount = hunk.filter((e) => e.op !== 2).length;
    const bCount = hunk.filter((e) => e.op !== 1).length;
    out.push(`@@ -${range(first.ai, aCount)} +${range(first.bi, bCount)} @@`);
    for (const e of hunk) {
      const fromA = e.op !== 2;
      const line = fromA ? A.lines[e.ai]! : B.lines[e.bi]!;
      out.push((e.op === 0 ? ' ' : e.op === 1 ? '-' : '+') + line);
      if (fromA ? noNewline(A, e.ai) : noNewline(B, e.bi)) out.push('\\ No newline at end of file');
    }
    i = j;
  }
  return { text: out.join('\n') + '\n', added, removed };
}

const NO_NEWLINE = '\u0000no-newline';
