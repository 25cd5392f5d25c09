// Folds pull/push progress lines into one entry per layer: the latest status and a percentage.
export interface ProgressEvent {
  id: string;
  status: string;
  current: number | null;
  total: number | null;
  error: string | null;
}

export interface LayerState {
  id: string;
  status: string;
  percent: number;
  /** How many different percentages this layer's bar has shown: > 1 means it moved. */
  moves: number;
}

const DONE = /^(Pull complete|Already exists|Download complete|Pushed|Layer already exists|Mounted from)/;

export function percentOf(e: ProgressEvent, prev: number): number {
  if (DONE.test(e.status)) return 100;
  if (e.current !== null && e.total) return Math.min(100, Math.round((e.current / e.total) * 1000) / 10);
  return prev;
}

export function foldProgress(layers: LayerState[], e: ProgressEvent, seen: Map<string, Set<number>>): LayerState[] {
  if (!e.id || e.id.length < 6 || !/^[0-9a-f]+$/.test(e.id)) return layers;
  const i = layers.findIndex((l) => l.id === e.id);
  const prev = i >= 0 ? layers[i]! : { id: e.id, status: '', percent: 0, moves: 0 };
  const percent = percentOf(e, prev.percent);
  const set = seen.get(e.id) ?? new Set<number>();
  set.add(percent);
  seen.set(e.id, set);
  const next = { id: e.id, status: e.status, percent, moves: set.size };
  return i >= 0 ? layers.map((l, n) => (n === i ? next : l)) : [...layers, next];
}
