// The alerts engine, in the server process: follows the engine's events (die with its exit code, oom,
// health_status, restarts), samples stats for CPU/memory rules, checks disk use, and takes log matches from
// the indexer. An alert fires once per rule and subject until it resolves (de-duplication), each rule sends
// at most maxPerHour notifications (rate limit), and delivery runs in the background (delivery.ts), so
// nothing here waits on a channel. Rules live in the database and are reloaded on every change.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Engine, EngineEvent } from '@berth/runtime/engine';
import type { Db } from '../db/client.ts';
import { ndjson } from '../engine/streams.ts';
import { summarizeStats } from '../engine/stats-summary.ts';
import type { LogIndexService } from '../logs-index/service.ts';
import { compileLinear } from '../logs-index/regex.ts';
import { Deliverer } from './delivery.ts';
import type { AlertMessage } from './senders.ts';
import { paramsByKind, scopeSchema, type RuleKind, type Scope, type UpdateNoticeKind } from './schemas.ts';

export const STACK_LABEL = 'com.docker.compose.project';

export interface AlertEngineOptions {
  db: Db;
  root: string;
  engine: Engine;
  logs?: LogIndexService;
  /** How often stats, disk and restart windows are checked. */
  pollMs?: number;
  backoffMs?: number[];
  /** Percent of the data root's filesystem in use (tests may pass their own). */
  diskPercent?: () => Promise<number>;
}

interface Rule {
  id: string;
  name: string;
  kind: RuleKind;
  channelIds: string[];
  scope: Scope;
  params: Record<string, unknown>;
}

/** An image update event for `update` rules (sent by server/updates; see updates/notices.ts). */
export interface UpdateNotice {
  what: UpdateNoticeKind;
  endpointId: string;
  /** The image reference (tag) the update is about. */
  ref: string;
  /** available: the registry's new digest; applied/failed: the image ID updated to. */
  target: string;
  /** The container, when the notice is about one (scopes other than `all` need it). */
  container?: { id: string; name: string; labels: Record<string, string> };
  text: string;
}

interface Subject {
  id: string;
  name: string;
  labels: Record<string, string>;
}

interface Firing {
  since: number;
  lastSeen: number;
}

export function inScope(scope: Scope, c: Subject): boolean {
  switch (scope.type) {
    case 'all':
      return true;
    case 'label':
      return c.labels[scope.key] !== undefined && (scope.value === undefined || c.labels[scope.key] === scope.value);
    case 'stack':
      return c.labels[STACK_LABEL] === scope.name;
    case 'container': {
      const ref = scope.name.replace(/^\//, '');
      return c.name === ref || c.id === ref || (ref.length >= 4 && c.id.startsWith(ref));
    }
  }
}

interface NotifyOptions {
  title?: string;
  /** When the subject is not a container (an image update), the container it concerns, or null. */
  containerId?: string | null;
}

export class AlertEngine {
  private rules: Rule[] = [];
  private readonly firing = new Map<string, Firing>();
  private readonly sentAt = new Map<string, number[]>();
  private readonly suppressed = new Map<string, number>();
  private readonly restarts = new Map<string, number[]>();
  private readonly died = new Set<string>();
  private readonly above = new Map<string, number>();
  private readonly cpuPrev = new Map<string, { usage: number; at: number }>();
  private readonly cpuLimit = new Map<string, number>();
  private readonly deliverer: Deliverer;
  /** 'recorded' after each alert is written: the dashboard's bell follows it instead of polling. */
  readonly recorded = new EventEmitter();
  private events: Readable | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private polling = false;
  /** Index rowid up to which log rules have been checked. */
  private logCursor: number | null = null;

  constructor(private readonly o: AlertEngineOptions) {
    this.deliverer = new Deliverer(o.db, { root: o.root, backoffMs: o.backoffMs, onChange: () => this.recorded.emit('recorded', { id: 'delivery', state: 'delivery' }) });
  }

  get delivery(): Deliverer {
    return this.deliverer;
  }

  async start(): Promise<void> {
    await this.reload();
    void this.follow();
    // Log rules run on each batch the indexer commits, not on a timer: latency is the indexer's lag only.
    // Lines committed before the engine started are history, not news.
    if (this.o.logs) this.logCursor = this.o.logs.search.lastId();
    this.o.logs?.on('tick', this.onIndexed);
    this.timer = setInterval(() => void this.poll(), this.o.pollMs ?? 5000);
    this.timer.unref();
  }

  /** Re-reads the rules (after any change through tRPC); firing state of deleted rules is dropped. */
  async reload(): Promise<void> {
    const rows = await this.o.db.alertRule.findMany({ where: { enabled: true } });
    const rules: Rule[] = [];
    for (const r of rows) {
      const kind = r.kind as RuleKind;
      const params = paramsByKind[kind]?.safeParse(JSON.parse(r.params));
      const scope = scopeSchema.safeParse(JSON.parse(r.scope));
      if (!params?.success || !scope.success) continue;
      rules.push({ id: r.id, name: r.name, kind, channelIds: JSON.parse(r.channelIds) as string[], scope: scope.data, params: params.data as Rule['params'] });
    }
    this.rules = rules;
    const ids = new Set(rules.map((r) => r.id));
    for (const k of this.firing.keys()) if (!ids.has(k.split('|')[0]!)) this.firing.delete(k);
    this.recorded.emit('recorded', { id: 'rules', state: 'rules' });
  }

  private readonly onIndexed = (lines: number): void => {
    if (lines > 0 && !this.closed) this.pollLogs();
  };

  private ofKind(kind: RuleKind): Rule[] {
    return this.rules.filter((r) => r.kind === kind);
  }

  // ───────────── engine events ─────────────

  private async follow(): Promise<void> {
    while (!this.closed) {
      try {
        this.events = await this.o.engine.getEvents({ filters: { type: ['container'] } });
        for await (const e of ndjson<EngineEvent>(this.events)) this.onEvent(e);
      } catch {
        /* the stream broke: reconnect below */
      }
      if (!this.closed) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private onEvent(e: EngineEvent): void {
    const attrs = (e.Actor?.Attributes ?? {}) as Record<string, string>;
    const { name = e.Actor?.ID?.slice(0, 12) ?? '', image: _image, exitCode, ...labels } = attrs;
    const c: Subject = { id: e.Actor?.ID ?? '', name, labels };
    const action = e.Action;
    if (action === 'die') {
      this.died.add(c.id);
      if (exitCode !== undefined && exitCode !== '0') {
        for (const r of this.ofKind('died')) if (inScope(r.scope, c)) this.fire(r, c, `Container ${c.name} exited with code ${exitCode}`);
      }
    } else if (action === 'oom') {
      for (const r of this.ofKind('oom')) if (inScope(r.scope, c)) this.fire(r, c, `Container ${c.name} was killed: out of memory`);
    } else if (action === 'start') {
      for (const r of [...this.ofKind('died'), ...this.ofKind('oom')]) if (inScope(r.scope, c)) this.resolve(r, c, `Container ${c.name} is running again`);
      if (this.died.has(c.id)) {
        const list = this.restarts.get(c.id) ?? [];
        list.push(Date.now());
        this.restarts.set(c.id, list);
        this.checkRestarts(c);
      }
    } else if (action.startsWith('health_status')) {
      const status = action.split(':')[1]?.trim();
      for (const r of this.ofKind('unhealthy')) {
        if (!inScope(r.scope, c)) continue;
        if (status === 'unhealthy') this.fire(r, c, `Container ${c.name} is unhealthy`);
        else if (status === 'healthy') this.resolve(r, c, `Container ${c.name} is healthy again`);
      }
    } else if (action === 'destroy') {
      this.restarts.delete(c.id);
      this.died.delete(c.id);
      this.cpuPrev.delete(c.id);
      this.cpuLimit.delete(c.id);
    }
  }

  private subjects = new Map<string, Subject>();

  private checkRestarts(c: Subject): void {
    this.subjects.set(c.id, c);
    for (const r of this.ofKind('restarts')) {
      if (!inScope(r.scope, c)) continue;
      const windowMs = Number(r.params['minutes']) * 60_000;
      const n = (this.restarts.get(c.id) ?? []).filter((t) => t > Date.now() - windowMs).length;
      if (n > Number(r.params['count'])) this.fire(r, c, `Container ${c.name} restarted ${n} times in ${r.params['minutes']} min`);
      else this.resolve(r, c, `Container ${c.name} stopped restarting`);
    }
  }

  // ───────────── log matches (new lines in the index) ─────────────

  /** Tests the lines the indexer committed since the last call against each log rule (regex on the index). */
  private pollLogs(): void {
    const search = this.o.logs?.search;
    const rules = this.ofKind('log').filter((r) => compileLinear(String(r.params['pattern'])).ok);
    if (!search) return;
    const upTo = search.lastId();
    const from = this.logCursor ?? upTo;
    this.logCursor = upTo;
    if (rules.length === 0 || upTo <= from) return;
    for (const r of rules) {
      const got = search.newLines({ query: String(r.params['pattern']), regex: true }, from, 1000);
      if (!got.ok) continue;
      const byContainer = new Map<string, { line: string; count: number; name: string }>();
      for (const h of got.value.items) {
        if (h.id > upTo) continue;
        const e = byContainer.get(h.containerId);
        if (e) e.count++;
        else byContainer.set(h.containerId, { line: h.line, count: 1, name: h.container });
      }
      for (const [id, m] of byContainer) this.logMatch({ ruleId: r.id, container: { id, name: m.name, labels: search.labelsOf(id) }, line: m.line, count: m.count });
    }
  }

  private logMatch(m: { ruleId: string; container: Subject; line: string; count: number }): void {
    const r = this.rules.find((x) => x.id === m.ruleId);
    if (!r || !inScope(r.scope, m.container)) return;
    const f = this.firing.get(this.key(r, m.container));
    if (f) f.lastSeen = Date.now();
    else this.fire(r, m.container, `${m.container.name}: ${m.line.slice(0, 500)}${m.count > 1 ? ` (+${m.count - 1} more)` : ''}`);
  }

  // ───────────── polling: stats, disk, windows ─────────────

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      this.pollLogs();
      await this.pollStats();
      await this.pollDisk();
      for (const r of this.ofKind('log')) {
        for (const [k, f] of this.firing) {
          if (!k.startsWith(`${r.id}|`) || Date.now() - f.lastSeen < Number(r.params['quietSeconds']) * 1000) continue;
          const c = this.subjects.get(k.split('|')[1]!) ?? { id: k.split('|')[1]!, name: k.split('|')[1]!, labels: {} };
          this.resolve(r, c, `No more matches of /${r.params['pattern']}/ in ${c.name} for ${r.params['quietSeconds']}s`);
        }
      }
      for (const id of this.restarts.keys()) {
        const c = this.subjects.get(id);
        if (c) this.checkRestarts(c);
      }
    } catch {
      /* an engine hiccup: next poll */
    } finally {
      this.polling = false;
    }
  }

  private async pollStats(): Promise<void> {
    const rules = [...this.ofKind('cpu'), ...this.ofKind('memory')];
    if (rules.length === 0) return;
    const list = await this.o.engine.listContainers({ filters: { status: ['running'] } });
    const running = new Set<string>();
    for (const s of list) {
      const c: Subject = { id: s.Id, name: (s.Names?.[0] ?? s.Id).replace(/^\//, ''), labels: s.Labels ?? {} };
      running.add(c.id);
      const mine = rules.filter((r) => inScope(r.scope, c));
      if (mine.length === 0) continue;
      this.subjects.set(c.id, c);
      const h = this.o.engine.getContainer(c.id);
      const stats = await h.stats({ stream: false }).catch(() => null);
      if (!stats) continue;
      const p = summarizeStats(stats);
      const usage = stats.cpu_stats?.cpu_usage?.total_usage ?? 0;
      const prev = this.cpuPrev.get(c.id);
      // The sample's own time: the engine samples on its own clock, so our call time would skew the delta.
      const now = p.t;
      if (prev && prev.at === now) continue;
      this.cpuPrev.set(c.id, { usage, at: now });
      if (!this.cpuLimit.has(c.id)) {
        const info = await h.inspect().catch(() => null);
        const hc = info?.HostConfig;
        const cores = hc?.NanoCpus ? hc.NanoCpus / 1e9 : hc?.CpuQuota && hc.CpuQuota > 0 ? hc.CpuQuota / (hc.CpuPeriod || 100_000) : stats.cpu_stats?.online_cpus || 1;
        this.cpuLimit.set(c.id, cores);
      }
      // CPU as a percent of the container's limit (cores), from our own samples' delta.
      const cpuPct = prev && now > prev.at ? ((usage - prev.usage) / 1e6 / (now - prev.at) / this.cpuLimit.get(c.id)!) * 100 : null;
      for (const r of mine) {
        const value = r.kind === 'cpu' ? cpuPct : p.memLimit > 0 ? p.memPercent : null;
        if (value === null) continue;
        this.threshold(r, c, value, `${r.kind === 'cpu' ? 'CPU' : 'Memory'} of ${c.name}`);
      }
    }
    for (const id of this.cpuPrev.keys()) if (!running.has(id)) this.cpuPrev.delete(id);
  }

  private threshold(r: Rule, c: Subject, value: number, what: string): void {
    const k = this.key(r, c);
    const limit = Number(r.params['percent']);
    const holdMs = Number(r.params['seconds'] ?? 0) * 1000;
    if (value > limit) {
      const since = this.above.get(k) ?? Date.now();
      this.above.set(k, since);
      if (Date.now() - since >= holdMs) this.fire(r, c, `${what} at ${value.toFixed(0)}% (over ${limit}%${holdMs ? ` for ${r.params['seconds']}s` : ''})`);
    } else {
      this.above.delete(k);
      this.resolve(r, c, `${what} back to ${value.toFixed(0)}%`);
    }
  }

  private async pollDisk(): Promise<void> {
    const rules = this.ofKind('disk');
    if (rules.length === 0) return;
    const pct = this.o.diskPercent ? await this.o.diskPercent() : diskPercent(this.o.root);
    const engine: Subject = { id: 'engine', name: 'engine', labels: {} };
    for (const r of rules) this.threshold(r, engine, pct, `Disk use of ${this.o.root}`);
  }

  // ───────────── image updates ─────────────

  /**
   * `update` rules. De-duplicated like any alert: "available" fires once per image and registry digest (a
   * check every few hours repeats nothing), "failed" once per container and target image (an auto update
   * retried on the same bad image stays quiet); a successful update resolves both, and that resolved
   * message is the "applied" notice.
   */
  onUpdate(n: UpdateNotice): void {
    const where = n.endpointId === 'local' ? '' : ` on ${n.endpointId}`;
    for (const r of this.ofKind('update')) {
      const on = (r.params['on'] as UpdateNoticeKind[] | undefined) ?? [];
      const c = n.container;
      if (c ? !inScope(r.scope, c) : r.scope.type !== 'all') continue;
      const containerId = c?.id ?? null;
      const name = c?.name ?? n.ref;
      const available: Subject = { id: `available:${n.endpointId}:${n.ref}@${n.target}`, name: n.ref, labels: c?.labels ?? {} };
      const failed: Subject = { id: `failed:${n.endpointId}:${name}@${n.target}`, name, labels: c?.labels ?? {} };
      if (n.what === 'available') {
        if (on.includes('available')) this.fire(r, available, n.text, { title: `Update available: ${n.ref}${where}`, containerId });
      } else if (n.what === 'failed') {
        if (on.includes('failed')) this.fire(r, failed, n.text, { title: `Update failed: ${name}${where}`, containerId });
      } else {
        // Applied: what was announced for this image or container is over.
        const prefixes = [`${r.id}|available:${n.endpointId}:${n.ref}@`, `${r.id}|failed:${n.endpointId}:${name}@`];
        for (const k of [...this.firing.keys()]) if (prefixes.some((p) => k.startsWith(p))) this.firing.delete(k);
        // Without `applied` in `on`, they are resolved silently.
        if (on.includes('applied')) {
          const applied: Subject = { id: `applied:${n.endpointId}:${name}@${n.target}`, name, labels: c?.labels ?? {} };
          void this.notify(r, applied, 'resolved', n.text, { title: `Update applied: ${name}${where}`, containerId });
        }
      }
    }
  }

  // ───────────── firing, resolving, notifying ─────────────

  private key(r: Rule, c: Subject): string {
    return `${r.id}|${c.id}`;
  }

  private fire(r: Rule, c: Subject, text: string, how?: NotifyOptions): void {
    const k = this.key(r, c);
    if (this.firing.has(k)) return; // de-duplicated until resolved
    this.firing.set(k, { since: Date.now(), lastSeen: Date.now() });
    this.subjects.set(c.id, c);
    void this.notify(r, c, 'firing', text, how);
  }

  private resolve(r: Rule, c: Subject, text: string): void {
    const k = this.key(r, c);
    if (!this.firing.delete(k)) return;
    void this.notify(r, c, 'resolved', text);
  }

  /** Per-rule budget of notifications in the last hour. */
  private allowed(r: Rule): boolean {
    const hourAgo = Date.now() - 3600_000;
    const list = (this.sentAt.get(r.id) ?? []).filter((t) => t > hourAgo);
    this.sentAt.set(r.id, list);
    if (list.length >= Number(r.params['maxPerHour'] ?? 30)) return false;
    list.push(Date.now());
    return true;
  }

  private async notify(r: Rule, c: Subject, state: 'firing' | 'resolved', text: string, how: NotifyOptions = {}): Promise<void> {
    if (!this.allowed(r)) {
      this.suppressed.set(r.id, (this.suppressed.get(r.id) ?? 0) + 1);
      return;
    }
    const suppressed = this.suppressed.get(r.id) ?? 0;
    this.suppressed.delete(r.id);
    const at = new Date();
    const title = how.title ?? `${state === 'resolved' ? 'Resolved' : 'Alert'}: ${r.name} (${c.name})`;
    const msg: AlertMessage = {
      state,
      title,
      text: suppressed ? `${text}\n(${suppressed} more notifications of this rule were suppressed by its rate limit)` : text,
      rule: r.name,
      kind: r.kind,
      subject: c.name,
      containerId: how.containerId !== undefined ? how.containerId : c.id === 'engine' ? null : c.id,
      at: at.toISOString(),
    };
    try {
      const channels = r.channelIds.length ? await this.o.db.alertChannel.findMany({ where: { id: { in: r.channelIds } } }) : [];
      // Send first, record beside it: the database write must not add to the alert's latency.
      const event = this.o.db.alertEvent.create({
        data: { at, ruleId: r.id, ruleName: r.name, kind: r.kind, state, subject: c.name, containerId: msg.containerId, message: msg.text, suppressed },
      });
      this.deliverer.enqueue(event.then((e) => e.id), msg, channels);
      const row = await event;
      this.recorded.emit('recorded', { id: row.id, state });
    } catch (e) {
      console.error(`alerts: ${(e as Error).message}`);
    }
  }

  /** Firing alerts now (for the page). */
  active(): { ruleId: string; subject: string; since: number }[] {
    return [...this.firing].map(([k, f]) => ({ ruleId: k.split('|')[0]!, subject: this.subjects.get(k.split('|')[1]!)?.name ?? k.split('|')[1]!, since: f.since }));
  }

  private readonly closers: (() => void)[] = [];

  /** Runs `fn` when the engine closes (undoes a subscription made from outside). */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const fn of this.closers.splice(0)) fn();
    this.o.logs?.off('tick', this.onIndexed);
    if (this.timer) clearInterval(this.timer);
    this.events?.destroy();
    this.deliverer.close();
  }
}

export function diskPercent(root: string): number {
  const s = fs.statfsSync(root);
  return s.blocks > 0 ? ((s.blocks - s.bavail) / s.blocks) * 100 : 0;
}
