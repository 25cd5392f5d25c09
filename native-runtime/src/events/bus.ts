// EventBus: Docker-shaped events for containers and images. Keeps the most recent events in memory and
// in <root>/events.log (JSON lines, trimmed from the front) so `docker events --since` can replay them
// after a restart, then streams live ones.
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { badParameter } from '../errors.js';
import type { EngineEvent, Filters } from '../engine/types.js';
import { familiarName, parseNormalizedNamed } from '../images/reference.js';
import { exactMatch, fuzzyMatch, matchKVList, normalizeFilters, type NormalizedFilters } from './filters.js';
import { parseTimeArg } from './time.js';

export type EventType = EngineEvent['Type'];

export interface EventBusOptions {
  /** events.log path; undefined keeps events in memory only. */
  logPath?: string;
  /** Read the log but never write it (read-only Berth instances). */
  readOnly?: boolean;
  capacity?: number;
}

export interface GetEventsOptions {
  since?: number | string;
  until?: number | string;
  filters?: Filters | string;
}

const DEFAULT_CAPACITY = 1024;

export class EventBus {
  private readonly ring: EngineEvent[] = [];
  private readonly capacity: number;
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private appended = 0;
  private lastNano = 0n;

  constructor(private readonly opts: EventBusOptions = {}) {
    this.capacity = opts.capacity ?? DEFAULT_CAPACITY;
    this.loadLog();
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private loadLog(): void {
    if (!this.opts.logPath) return;
    let text: string;
    try {
      text = fs.readFileSync(this.opts.logPath, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        this.pushRing(JSON.parse(line) as EngineEvent);
      } catch {
        // A line torn by a crash: skip it.
      }
    }
    this.lastNano = BigInt(this.ring.at(-1)?.timeNano ?? 0);
  }

  private pushRing(e: EngineEvent): void {
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }

  /** Emits an event. Container and image events carry the legacy status/id/from fields. */
  emit(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    let nano = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
    if (nano <= this.lastNano) nano = this.lastNano + 1n; // strictly increasing, so replay order is stable
    this.lastNano = nano;
    const e = { Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local', time: Number(nano / 1_000_000_000n), timeNano: Number(nano) } as EngineEvent;
    if (type === 'container' || type === 'image') {
      const legacy: Partial<EngineEvent> = { status: action, id };
      if (type === 'container' && attributes['image'] !== undefined) legacy.from = attributes['image'];
      Object.assign(e, legacy);
    }
    this.pushRing(e);
    this.persist(e);
    for (const l of this.listeners) l(e);
    return e;
  }

  private persist(e: EngineEvent): void {
    if (!this.opts.logPath || this.opts.readOnly) return;
    try {
      fs.appendFileSync(this.opts.logPath, JSON.stringify(e) + '\n');
      // Rewrite with only the ring once the file holds several rings' worth of lines.
      if (++this.appended >= this.capacity * 2) {
        this.appended = 0;
        const tmp = `${this.opts.logPath}.tmp`;
        fs.writeFileSync(tmp, this.ring.map((x) => JSON.stringify(x) + '\n').join(''));
        fs.renameSync(tmp, this.opts.logPath);
      }
    } catch {
      // Events are advisory: a full disk must not fail a container operation.
    }
  }

  /** Past events (since ≤ t ≤ until), then live ones until `until`; newline-delimited JSON. */
  getEvents(opts: GetEventsOptions = {}): Readable {
    const since = parseTimeArg(opts.since);
    const until = parseTimeArg(opts.until);
    // As dockerd (router/system): an empty window is the caller's mistake, not an empty answer.
    if (since !== undefined && until !== undefined && until < since) {
      throw badParameter(`\`since\` time (${String(opts.since)}) cannot be after \`until\` time (${String(opts.until)})`);
    }
    const match = eventMatcher(normalizeFilters(opts.filters));
    const inRange = (e: EngineEvent): boolean => {
      const t = BigInt(e.timeNano);
      return (since === undefined || t >= since) && (until === undefined || t <= until);
    };
    let timer: NodeJS.Timeout | undefined;
    const listener = (e: EngineEvent): void => {
      if (inRange(e) && match(e)) out.push(JSON.stringify(e) + '\n');
    };
    const stop = (): void => {
      this.listeners.delete(listener);
      if (timer) clearTimeout(timer);
      timer = undefined;
    };
    const out = new Readable({
      read() {},
      destroy: (err, cb) => {
        stop();
        cb(err);
      },
    });
    if (since !== undefined) for (const e of this.ring) if (inRange(e) && match(e)) out.push(JSON.stringify(e) + '\n');
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    if (until !== undefined && until <= nowNs) {
      out.push(null);
      return out;
    }
    this.listeners.add(listener);
    if (until !== undefined) {
      timer = setTimeout(() => {
        stop();
        out.push(null);
      }, Number((until - nowNs) / 1_000_000n) + 1);
    }
    return out;
  }

  /** Stops every live stream (engine shutdown). */
  close(): void {
    this.listeners.clear();
  }
}

/**
 * moby daemon/events/filter.go Include: `event` exact (prefix for health_status, exec_create,
 * exec_start), `type` and `scope` exact, the object filters (container, volume, network, daemon, …) a
 * prefix of the actor's ID or name, `image` the ID or name with or without its tag, labels all of. As
 * dockerd does, other filter names are not refused: they do not narrow the stream.
 */
export function eventMatcher(f: NormalizedFilters): (e: EngineEvent) => boolean {
  const fuzzyEvent = (f.get('event') ?? []).some((v) => ['health_status', 'exec_create', 'exec_start'].includes(v));
  const objects = ['daemon', 'container', 'plugin', 'volume', 'network', 'node', 'service', 'secret', 'config'];
  return (e) => {
    const a = e.Actor.Attributes ?? {};
    const id = e.Actor.ID;
    const imageName = a[e.Type === 'image' ? 'name' : 'image'] ?? '';
    const anyImage = [id, imageName, stripTag(id), stripTag(imageName)];
    return (
      (fuzzyEvent ? fuzzyMatch(f, 'event', e.Action) : exactMatch(f, 'event', e.Action)) &&
      exactMatch(f, 'type', e.Type) &&
      exactMatch(f, 'scope', e.scope ?? 'local') &&
      objects.every((k) => fuzzyMatch(f, k, id) || fuzzyMatch(f, k, a['name'] ?? '')) &&
      (!f.get('image')?.length || anyImage.some((x) => exactMatch(f, 'image', x))) &&
      matchKVList(f, 'label', a)
    );
  };
}

/** reference.FamiliarName: the repository without tag or digest (`busybox:latest` → `busybox`). */
function stripTag(ref: string): string {
  try {
    return familiarName(parseNormalizedNamed(ref));
  } catch {
    return ref;
  }
}
