// Squarified treemap layout (Bruls, Huizing, van Wijk 2000): rows of rectangles laid along the
// shorter side, each row closed when adding another item would worsen its worst aspect ratio.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Placed<T> extends Rect {
  item: T;
}

function worst(areas: number[], side: number): number {
  const sum = areas.reduce((a, b) => a + b, 0);
  const max = Math.max(...areas);
  const min = Math.min(...areas);
  const s2 = side * side;
  const sum2 = sum * sum;
  return Math.max((s2 * max) / sum2, sum2 / (s2 * min));
}

/** Lays items (with positive weights) out in `box`, biggest first. */
export function squarify<T>(items: T[], weight: (t: T) => number, box: Rect): Placed<T>[] {
  const sorted = items.filter((t) => weight(t) > 0).sort((a, b) => weight(b) - weight(a));
  const total = sorted.reduce((a, t) => a + weight(t), 0);
  if (!total || box.w <= 0 || box.h <= 0) return [];
  const scale = (box.w * box.h) / total;
  const out: Placed<T>[] = [];
  let free = { ...box };
  let row: T[] = [];
  let rowAreas: number[] = [];

  const layRow = () => {
    const sum = rowAreas.reduce((a, b) => a + b, 0);
    const horizontal = free.w >= free.h; // the row runs along the shorter side
    if (horizontal) {
      const w = sum / free.h;
      let y = free.y;
      row.forEach((t, i) => {
        const h = rowAreas[i]! / w;
        out.push({ item: t, x: free.x, y, w, h });
        y += h;
      });
      free = { x: free.x + w, y: free.y, w: free.w - w, h: free.h };
    } else {
      const h = sum / free.w;
      let x = free.x;
      row.forEach((t, i) => {
        const w = rowAreas[i]! / h;
        out.push({ item: t, x, y: free.y, w, h });
        x += w;
      });
      free = { x: free.x, y: free.y + h, w: free.w, h: free.h - h };
    }
    row = [];
    rowAreas = [];
  };

  for (const t of sorted) {
    const area = weight(t) * scale;
    const side = Math.min(free.w, free.h);
    if (row.length && worst([...rowAreas, area], side) > worst(rowAreas, side)) layRow();
    row.push(t);
    rowAreas.push(area);
  }
  if (row.length) layRow();
  return out;
}
