// listContainers filters (moby daemon/list.go): id, name, label, status, ancestor, exited.
import { badParameter } from '../errors.js';
import { checkFilterNames, labelMatches, type NormalizedFilters } from '../events/filters.js';
import type { ContainerRecord } from './record.js';

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** `ancestorIds` are the image IDs the ancestor filter names (resolved by the caller). */
export function containerMatcher(f: NormalizedFilters, ancestorIds: Set<string>): (r: ContainerRecord) => boolean {
  checkFilterNames(f, ['id', 'name', 'label', 'status', 'ancestor', 'exited', 'before', 'since', 'network', 'volume', 'health', 'isolation', 'is-task', 'publish', 'expose']);
  for (const s of f.get('status') ?? []) if (!STATUSES.includes(s)) throw badParameter(`Invalid filter 'status=${s}'`);
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw badParameter(`invalid filter 'exited=${v}'`);
    return Number(v);
  });
  const pass = (key: string, pred: (v: string) => boolean) => {
    const vals = f.get(key);
    return !vals || vals.length === 0 || vals.some(pred);
  };
  return (r) => {
    const labels = r.cfg.config.Labels ?? {};
    return (
      pass('id', (v) => r.cfg.id.startsWith(v)) &&
      pass('name', (v) => {
        try {
          return new RegExp(v).test(r.cfg.name) || new RegExp(v).test(r.cfg.name.slice(1));
        } catch {
          return r.cfg.name.includes(v);
        }
      }) &&
      (f.get('label') ?? []).every((l) => labelMatches(l, labels)) &&
      pass('status', (v) => r.state.status === v) &&
      pass('ancestor', () => ancestorIds.has(r.cfg.imageId)) &&
      (exited.length === 0 || (r.state.status === 'exited' && exited.includes(r.state.exitCode)))
    );
  };
}
