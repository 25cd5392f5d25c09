// Merging compose files (and `extends`) by the Compose Specification's rules: mappings merge, sequences
// append, command/entrypoint/healthcheck.test are replaced, and ports/volumes/devices/secrets/configs
// are unique by their key (a later entry with the same key replaces the earlier one).
import { isDict, type Dict } from './canonical.ts';

const REPLACED = new Set(['command', 'entrypoint']);

function uniqueKey(field: string, v: unknown): string | null {
  if (!isDict(v)) return null;
  if (field === 'ports') return `${v['host_ip'] ?? ''}|${v['target']}|${v['published'] ?? ''}|${v['protocol'] ?? 'tcp'}`;
  if (field === 'volumes' || field === 'devices') return String(v['target']);
  if (field === 'secrets' || field === 'configs') return String(v['target'] ?? v['source']);
  return null;
}

function mergeLists(field: string, base: unknown[], over: unknown[]): unknown[] {
  const out = [...base];
  for (const item of over) {
    const key = uniqueKey(field, item);
    const at = key === null ? out.findIndex((o) => !isDict(o) && !Array.isArray(o) && o === item) : out.findIndex((o) => uniqueKey(field, o) === key);
    if (at >= 0) out[at] = key === null ? item : mergeValue(field, out[at], item);
    else out.push(item);
  }
  return out;
}

function mergeValue(field: string, base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (REPLACED.has(field)) return over;
  if (Array.isArray(base) && Array.isArray(over)) return mergeLists(field, base, over);
  if (isDict(base) && isDict(over)) return mergeDicts(base, over, field);
  return over;
}

export function mergeDicts(base: Dict, over: Dict, parent = ''): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    // healthcheck.test is a command: replaced, not appended.
    if (parent === 'healthcheck' && k === 'test') out[k] = v;
    else out[k] = k in out ? mergeValue(k, out[k], v) : v;
  }
  return out;
}

/** A copy of `d` along `path` (so a change there leaves the files' own values alone), or null. */
function parentOf(d: Dict, path: string[]): Dict | null {
  let v: Dict = d;
  for (const k of path.slice(0, -1)) {
    if (!isDict(v[k])) return null;
    v = v[k] = { ...(v[k] as Dict) };
  }
  return v;
}

/**
 * Merges whole files in order (`-f a.yml -f b.yml`). Top-level maps merge by name. A file's `!reset`
 * takes the value out of what came before it; its `!override` value replaces instead of merging.
 */
export function mergeFiles(files: Dict[], tags: { path: string[]; tag: 'reset' | 'override' }[][] = []): Dict {
  let merged: Dict = {};
  for (const [i, f] of files.entries()) {
    for (const t of tags[i] ?? []) {
      if (t.tag !== 'reset') continue;
      const parent = parentOf(merged, t.path);
      if (parent) delete parent[t.path[t.path.length - 1]!];
    }
    const next: Dict = { ...merged };
    for (const [k, v] of Object.entries(f)) {
      if (k === 'services' && isDict(v)) {
        const services: Dict = { ...(isDict(merged['services']) ? merged['services'] : {}) };
        for (const [name, svc] of Object.entries(v)) services[name] = isDict(services[name]) && isDict(svc) ? mergeDicts(services[name] as Dict, svc) : svc;
        next['services'] = services;
      } else next[k] = k in merged ? mergeValue(k, merged[k], v) : v;
    }
    for (const t of tags[i] ?? []) {
      if (t.tag !== 'override') continue;
      let own: unknown = f;
      for (const k of t.path) own = isDict(own) ? own[k] : undefined;
      const parent = parentOf(next, t.path);
      if (parent && own !== undefined) parent[t.path[t.path.length - 1]!] = own;
    }
    merged = next;
  }
  return merged;
}
