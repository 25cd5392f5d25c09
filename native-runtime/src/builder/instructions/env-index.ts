// Name → position in a stage config's Env, kept beside the array (by identity) and carried from one
// ENV step's array to the next. An ENV step and a step's word expansion then touch the names they use,
// not every variable: a scan (and a map built afresh) per step made each of a 10,000-step build's steps
// cost and allocate in proportion to the steps before it (issue #16).
import type { EnvGetter } from '../parser/shell-lex.js';

interface EnvIndex {
  /** First position of each name: the entry an ENV instruction replaces. */
  first: Map<string, number>;
  /** Last position of a name that occurs more than once: the entry a lookup sees (later ones win). */
  last: Map<string, number>;
}

const indexes = new WeakMap<readonly string[], EnvIndex>();

export function envName(kv: string): string {
  const i = kv.indexOf('=');
  return i < 0 ? kv : kv.slice(0, i);
}

function envValue(kv: string): string {
  const i = kv.indexOf('=');
  return i < 0 ? '' : kv.slice(i + 1);
}

function indexOf(env: readonly string[]): EnvIndex {
  let idx = indexes.get(env);
  if (idx) return idx;
  idx = { first: new Map(), last: new Map() };
  env.forEach((kv, i) => {
    const k = envName(kv);
    if (!idx!.first.has(k)) idx!.first.set(k, i);
    else idx!.last.set(k, i);
  });
  indexes.set(env, idx);
  return idx;
}

/** Whether `name` is set in env. */
export function envHas(env: readonly string[], name: string): boolean {
  return indexOf(env).first.has(name);
}

/** The value `name` has in env (its last entry), or undefined. */
export function envGet(env: readonly string[], name: string): string | undefined {
  const idx = indexOf(env);
  const at = idx.last.get(name) ?? idx.first.get(name);
  return at === undefined ? undefined : envValue(env[at]!);
}

/**
 * env with `KEY=value` pairs set as Docker's ENV does it: a name's first entry replaced, a new name
 * appended. Returns a new array (the old one may be part of a config already written); the index moves
 * to it, updated for the pairs, instead of being rebuilt.
 */
export function envSet(env: readonly string[], pairs: readonly { key: string; value: string }[]): string[] {
  const idx = indexOf(env);
  indexes.delete(env);
  const out = [...env];
  for (const { key, value } of pairs) {
    const kv = `${key}=${value}`;
    const at = idx.first.get(key);
    if (at !== undefined) out[at] = kv;
    else idx.first.set(key, out.push(kv) - 1);
  }
  indexes.set(out, idx);
  return out;
}

/** An EnvGetter over env followed by `extra` (names env does not set), without copying env. */
export function envGetter(env: readonly string[], extra: ReadonlyMap<string, string>): EnvGetter {
  return {
    get: (k) => envGet(env, k) ?? extra.get(k),
    keys: () => [...env.map(envName), ...[...extra.keys()].filter((k) => !envHas(env, k))],
  };
}
