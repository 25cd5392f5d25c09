// Docker's `filters` argument: `{"type":["container"]}` (JSON, or already parsed), or the old
// `{"type":{"container":true}}` form. Normalised to name → list of values.
import { badParameter, type EngineError } from '../errors.js';
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

// moby's filters.Args matchers (api/types/filters/parse.go), so every list filters the way dockerd does.
// A filter name that is absent (or has no values) matches everything.

/** ExactMatch: one of the values equals `source`. */
export function exactMatch(f: NormalizedFilters, key: string, source: string): boolean {
  const vals = f.get(key);
  return !vals || vals.length === 0 || vals.includes(source);
}

/** FuzzyMatch: a value equals `source` or is a prefix of it. */
export function fuzzyMatch(f: NormalizedFilters, key: string, source: string): boolean {
  const vals = f.get(key);
  return !vals || vals.length === 0 || vals.some((v) => source.startsWith(v));
}

/** Match: a value equals `source`, or is a regular expression found in it (bad expressions never match). */
export function regexMatch(f: NormalizedFilters, key: string, source: string): boolean {
  const vals = f.get(key);
  if (!vals || vals.length === 0 || vals.includes(source)) return true;
  return vals.some((v) => {
    try {
      return new RegExp(v).test(source);
    } catch {
      return false;
    }
  });
}

/** MatchKVList: every `key` or `key=value` value is among the labels. */
export function matchKVList(f: NormalizedFilters, key: string, labels: Record<string, string> | null | undefined): boolean {
  const vals = f.get(key);
  if (!vals || vals.length === 0) return true;
  if (!labels) return false;
  return vals.every((l) => labelMatches(l, labels));
}

/** moby's invalidFilter error for a bad value: `invalid filter 'dangling=[x]'` (Go prints the value list). */
export function invalidFilterValue(key: string, values: readonly string[] | string): EngineError {
  return badParameter(`invalid filter '${key}=${Array.isArray(values) ? `[${values.join(' ')}]` : values}'`);
}

/** A boolean filter (`dangling`, `is-task`) as dockerd reads it: `accepted` maps each allowed spelling. */
export function boolFilter(f: NormalizedFilters, key: string, accepted: Record<string, boolean>): boolean | undefined {
  const vals = f.get(key);
  if (!vals || vals.length === 0) return undefined;
  // As ExactMatch: the first accepted spelling that is present decides ("true" before "false").
  for (const [spelling, value] of Object.entries(accepted)) if (vals.includes(spelling)) return value;
  throw invalidFilterValue(key, vals);
}
