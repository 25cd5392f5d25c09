// Docker's `filters` argument: `{"type":["container"]}` (JSON, or already parsed), or the old
// `{"type":{"container":true}}` form. Normalised to name → list of values.
import { badParameter } from '../errors.js';
import type { Filters } from '../engine/types.js';

export type NormalizedFilters = Map<string, string[]>;

export function normalizeFilters(f: Filters | string | undefined): NormalizedFilters {
  const out: NormalizedFilters = new Map();
  if (f === undefined || f === '') return out;
  let obj: unknown = f;
  if (typeof f === 'string') {
    try {
      obj = JSON.parse(f);
    } catch {
      throw badParameter(`invalid filter '${f}'`);
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw badParameter('invalid filters: want a JSON object');
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (v && typeof v === 'object') out.set(k, Object.entries(v as Record<string, unknown>).filter(([, b]) => b).map(([x]) => x));
    else throw badParameter(`invalid filter value for ${k}`);
  }
  return out;
}

/** `label=key` or `label=key=value` against a label map. */
export function labelMatches(wanted: string, labels: Record<string, string>): boolean {
  const i = wanted.indexOf('=');
  if (i < 0) return Object.prototype.hasOwnProperty.call(labels, wanted);
  return labels[wanted.slice(0, i)] === wanted.slice(i + 1);
}

/** Accepts only filter names in `known`, with Docker's message otherwise. */
export function checkFilterNames(f: NormalizedFilters, known: readonly string[]): void {
  for (const k of f.keys()) if (!known.includes(k)) throw badParameter(`invalid filter '${k}'`);
}
