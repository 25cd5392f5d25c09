// listContainers filters, as dockerd 20.10 applies them (moby daemon/list.go: foldFilter,
// includeContainerInList): id, name, label, status, ancestor, exited, before, since, network, volume,
// health, isolation, is-task, publish, expose. Values are checked before anything is listed.
import { badParameter } from '../errors.js';
import { boolFilter, checkFilterNames, exactMatch, fuzzyMatch, matchKVList, regexMatch, type NormalizedFilters } from '../events/filters.js';
import { GO_ZERO_TIME } from '../images/time.js';
import type { ContainerRecord } from './record.js';
import { summaryView } from './view.js';

const ACCEPTED = ['ancestor', 'before', 'exited', 'id', 'isolation', 'label', 'name', 'status', 'health', 'since', 'volume', 'network', 'is-task', 'publish', 'expose'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

export interface ContainerFilter {
  f: NormalizedFilters;
  exited: number[];
  /** `port/proto` keys of the publish and expose filters (ranges expanded). */
  publish: Set<string>;
  expose: Set<string>;
  isTask: boolean | undefined;
  /** status lists stopped containers without --all (dockerd sets All for it). */
  impliesAll: boolean;
}

/** Validates the filters (400 with dockerd's wording) before any container is looked at. */
export function parseContainerFilters(f: NormalizedFilters): ContainerFilter {
  checkFilterNames(f, ACCEPTED);
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^[-+]?\d+$/.test(v)) throw badParameter(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  });
  for (const s of f.get('status') ?? []) if (!STATUSES.includes(s)) throw badParameter(`invalid filter 'status=${s}'`);
  for (const h of f.get('health') ?? []) if (!HEALTH.includes(h)) throw badParameter(`Unrecognised filter value for health: ${h}`);
  const isTask = boolFilter(f, 'is-task', { true: true, false: false });
  return { f, exited, publish: portSet(f, 'publish'), expose: portSet(f, 'expose'), isTask, impliesAll: (f.get('status') ?? []).length > 0 };
}

/** nat.SplitProtoPort + ParsePortRange: `80`, `80/udp`, `8000-8010/tcp`. */
function portSet(f: NormalizedFilters, key: string): Set<string> {
  const out = new Set<string>();
  for (const value of f.get(key) ?? []) {
    if (value.includes(':')) throw badParameter(`filter for '${key}' should not contain ':': ${value}`);
    const [port = '', proto = 'tcp'] = value.split('/');
    const m = /^(\d+)(?:-(\d+))?$/.exec(port);
    const start = m ? Number(m[1]) : NaN;
    const end = m?.[2] !== undefined ? Number(m[2]) : start;
    if (!m || start > 65535 || end > 65535 || end < start) throw badParameter(`error while looking up for ${key} ${value}: invalid port or range ${JSON.stringify(port)}`);
    if (end - start > 65535) continue;
    for (let p = start; p <= end; p++) out.add(`${p}/${proto}`);
  }
  return out;
}

export interface ListScope {
  all: boolean;
  limit: number;
  /** Image IDs the ancestor filter accepts: each named image and its descendants (null: no ancestor filter). */
  ancestorIds: Set<string> | null;
  /** Container IDs the before / since filters name (the last value of each, as dockerd's WalkValues leaves it). */
  beforeId?: string;
  sinceId?: string;
}

const isRunning = (r: ContainerRecord): boolean => r.state.status === 'running' || r.state.status === 'paused' || r.state.status === 'restarting';

/**
 * Walks the containers newest first, as dockerd's reduceContainers: containers up to and including
 * `before` are skipped, the walk stops at `since`, and `limit` counts the containers that pass.
 */
export function filterContainers(newestFirst: ContainerRecord[], cf: ContainerFilter, scope: ListScope): ContainerRecord[] {
  const { f } = cf;
  const all = scope.all || cf.impliesAll;
  let before = scope.beforeId;
  const out: ContainerRecord[] = [];
  for (const r of newestFirst) {
    if (before !== undefined) {
      if (r.cfg.id === before) before = undefined;
      continue;
    }
    if (scope.sinceId !== undefined && r.cfg.id === scope.sinceId) break;
    const running = isRunning(r);
    if (!running && !all && scope.limit <= 0) continue;
    const name = r.cfg.name;
    if (!regexMatch(f, 'name', name) && !regexMatch(f, 'name', name.replace(/^\//, ''))) continue;
    // dockerd looks ids up in its prefix index first (filterByNameIDMatches): a prefix, not a substring.
    if (!fuzzyMatch(f, 'id', r.cfg.id)) continue;
    if (cf.isTask === true) continue; // Berth runs no swarm tasks
    if (!matchKVList(f, 'label', r.cfg.config.Labels ?? {})) continue;
    if (!regexMatch(f, 'isolation', (r.cfg.hostConfig.Isolation || 'default').toLowerCase())) continue;
    if (scope.limit > 0 && out.length === scope.limit) break;
    if (cf.exited.length && (running || r.state.startedAt === GO_ZERO_TIME || !cf.exited.includes(r.state.exitCode))) continue;
    if (!regexMatch(f, 'status', r.state.status)) continue;
    const health = r.cfg.config.Healthcheck && r.state.health ? r.state.health.Status : 'none';
    if (!exactMatch(f, 'health', health)) continue;
    if (cf.f.has('volume') || cf.f.has('network') || cf.publish.size || cf.expose.size) {
      if (!matchesView(r, cf)) continue;
    }
    if (scope.ancestorIds && !scope.ancestorIds.has(r.cfg.imageId)) continue;
    out.push(r);
  }
  return out;
}

/** The filters that look at the container's Engine API view: mounts, networks, ports. */
function matchesView(r: ContainerRecord, cf: ContainerFilter): boolean {
  const v = summaryView(r);
  const volumes = cf.f.get('volume');
  if (volumes?.length) {
    const mounts = v.Mounts ?? [];
    const hit = volumes.some((x) => mounts.some((m) => m.Destination === x || (m.Name ? m.Name === x : m.Source === x)));
    if (!hit) return false;
  }
  const networks = cf.f.get('network');
  if (networks?.length) {
    const nets = v.NetworkSettings?.Networks ?? {};
    const hit = networks.some((x) => x in nets || Object.values(nets).some((n) => !!n?.NetworkID && n.NetworkID.startsWith(x)));
    if (!hit) return false;
  }
  if (cf.publish.size || cf.expose.size) {
    const hit = (v.Ports ?? []).some((p) => cf.publish.has(`${p.PublicPort ?? 0}/${p.Type}`) || cf.expose.has(`${p.PrivatePort}/${p.Type}`));
    if (!hit) return false;
  }
  return true;
}

