// Reads the index: search (newest first, keyset cursor), histogram, context around a line, and new lines
// for the live tail. A read-only connection; the indexer process is the only writer.
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { compileLinear } from './regex.ts';
import { buildWhere } from './query.ts';
import { indexFile, openIndex, type IndexDb } from './schema.ts';

export interface SearchFilters {
  query: string;
  regex?: boolean;
  /** Ids, id prefixes or names (removed containers included). */
  containers?: string[];
  stack?: string;
  stream?: 'stdout' | 'stderr';
  /** Microseconds since the epoch. */
  since?: number;
  until?: number;
}

export interface SearchHit {
  id: number;
  containerId: string;
  container: string;
  image: string;
  stack: string | null;
  removed: boolean;
  stream: 'stdout' | 'stderr';
  /** Microseconds since the epoch. */
  t: number;
  time: string;
  line: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** Regex evaluation stops past this (per search), so one query cannot hold the server. */
const REGEX_BUDGET_MS = 5000;

const toIso = (us: number) => new Date(Math.floor(us / 1000)).toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}${String(us % 1000).padStart(3, '0')}Z`);

export class LogSearch {
  private db: IndexDb | null = null;
  private regexCache = new Map<string, RegExp>();
  private regexDeadline = 0;

  constructor(readonly root: string) {}

  /** Null until the indexer has created the index. */
  private conn(): IndexDb | null {
    if (this.db) return this.db;
    if (!fs.existsSync(indexFile(this.root))) return null;
    const db = openIndex(this.root, { readonly: true });
    // The indexer may have created the file but not yet its tables.
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'cursors'").get()) {
      db.close();
      return null;
    }
    db.function('regexp', { deterministic: true }, (pattern: unknown, text: unknown) => {
      if (Date.now() > this.regexDeadline) throw new Error('regex search took too long: narrow it with containers, a stack or a time range');
      let re = this.regexCache.get(String(pattern));
      if (!re) {
        const c = compileLinear(String(pattern));
        if (!c.ok) throw new Error(c.error);
        re = c.re;
        if (this.regexCache.size > 100) this.regexCache.clear();
        this.regexCache.set(String(pattern), re);
      }
      return re.test(String(text)) ? 1 : 0;
    });
    this.db = db;
    return db;
  }

  private filterSql(db: IndexDb, f: SearchFilters): Result<{ from: string; sql: string[]; params: unknown[] }> {
    const w = buildWhere(f.query.trim(), !!f.regex);
    if (!w.ok) return w;
    const sql: string[] = [...w.where.sql];
    const params: unknown[] = [...w.where.params];
    let from = 'lines l JOIN containers c ON c.cid = l.cid';
    const pre: unknown[] = [];
    if (w.where.match) {
      // The FTS index drives: only matching rows are visited, then filtered and sorted.
      from = 'lines_fts f CROSS JOIN lines l ON l.rowid = f.rowid JOIN containers c ON c.cid = l.cid';
      sql.unshift('lines_fts MATCH ?');
      pre.push(w.where.match);
    }
    if (f.containers?.length) {
      const cids = this.resolveContainers(db, f.containers);
      sql.push(`l.cid IN (${cids.map(() => '?').join(',') || 'NULL'})`);
      params.push(...cids);
    }
    if (f.stack) {
      sql.push('c.stack = ?');
      params.push(f.stack);
    }
    if (f.stream) {
      sql.push('l.stream = ?');
      params.push(f.stream === 'stderr' ? 2 : 1);
    }
    if (f.since !== undefined) {
      sql.push('l.t >= ?');
      params.push(Math.floor(f.since));
    }
    if (f.until !== undefined) {
      sql.push('l.t <= ?');
      params.push(Math.floor(f.until));
    }
    return { ok: true, value: { from, sql, params: [...pre, ...params] } };
  }

  resolveContainers(db: IndexDb, refs: string[]): number[] {
    const out = new Set<number>();
    const st = db.prepare('SELECT cid FROM containers WHERE id = ? OR name = ? OR (length(?) >= 4 AND id LIKE ? || \'%\')').pluck();
    for (const r of refs) {
      const ref = r.replace(/^\//, '');
      for (const cid of st.all(ref, ref, ref, ref) as number[]) out.add(cid);
    }
    return [...out];
  }

  private run<T>(fn: () => T): Result<T> {
    this.regexDeadline = Date.now() + REGEX_BUDGET_MS;
    try {
      return { ok: true, value: fn() };
    } catch (e) {
      const msg = (e as Error).message;
      if (/fts5|MATCH|malformed/i.test(msg)) return { ok: false, error: `search failed: ${msg}` };
      return { ok: false, error: msg };
    }
  }

  search(f: SearchFilters, limit: number, cursor?: string): Result<{ items: SearchHit[]; nextCursor: string | null; tookMs: number }> {
    const db = this.conn();
    if (!db) return { ok: true, value: { items: [], nextCursor: null, tookMs: 0 } };
    const started = performance.now();
    const w = this.filterSql(db, f);
    if (!w.ok) return w;
    const { from, sql, params } = w.value;
    if (cursor) {
      const m = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
      if (!m) return { ok: false, error: 'bad cursor' };
      sql.push('(l.t < ? OR (l.t = ? AND l.rowid < ?))');
      params.push(Number(m[1]), Number(m[1]), Number(m[2]));
    }
    const text = `SELECT l.rowid AS id, c.id AS containerId, c.name AS container, c.image, c.stack, c.removed_at AS removedAt, l.stream, l.t, l.line
      FROM ${from} ${sql.length ? `WHERE ${sql.join(' AND ')}` : ''} ORDER BY l.t DESC, l.rowid DESC LIMIT ?`;
    return this.run(() => {
      const rows = db.prepare(text).all(...params, limit + 1) as Row[];
      const more = rows.length > limit;
      const items = rows.slice(0, limit).map(hit);
      const last = items.at(-1);
      return {
        items,
        nextCursor: more && last ? Buffer.from(`${last.t}:${last.id}`).toString('base64url') : null,
        tookMs: Math.round(performance.now() - started),
      };
    });
  }

  /** Matches per time bucket between since and until (or the matches' own span). */
  histogram(f: SearchFilters, buckets: number): Result<{ start: number; width: number; counts: number[] }> {
    const db = this.conn();
    if (!db) return { ok: true, value: { start: 0, width: 0, counts: [] } };
    const w = this.filterSql(db, f);
    if (!w.ok) return w;
    const { from, sql, params } = w.value;
    const where = sql.length ? `WHERE ${sql.join(' AND ')}` : '';
    return this.run(() => {
      let lo = f.since;
      let hi = f.until;
      if (lo === undefined || hi === undefined) {
        const span = db.prepare(`SELECT min(l.t) AS lo, max(l.t) AS hi FROM ${from} ${where}`).get(...params) as { lo: number | null; hi: number | null };
        lo ??= span.lo ?? 0;
        hi ??= span.hi ?? 0;
      }
      const width = Math.max(1, Math.ceil((hi - lo + 1) / buckets));
      const counts = new Array<number>(buckets).fill(0);
      const rows = db.prepare(`SELECT CAST((l.t - ?) / ? AS INTEGER) AS b, count(*) AS n FROM ${from} ${where} GROUP BY b`).all(lo, width, ...params) as { b: number; n: number }[];
      for (const r of rows) if (r.b >= 0 && r.b < buckets) counts[r.b] = r.n;
      return { start: lo, width, counts };
    });
  }

  /** Lines of one container around a time (µs): `before` older ones, then the line(s) at/after it. */
  context(container: string, t: number, before: number, after: number): Result<{ items: SearchHit[] }> {
    const db = this.conn();
    if (!db) return { ok: true, value: { items: [] } };
    const cids = this.resolveContainers(db, [container]);
    if (cids.length === 0) return { ok: false, error: `no logs indexed for container ${container}` };
    const cid = cids[0]!;
    const cols = `l.rowid AS id, c.id AS containerId, c.name AS container, c.image, c.stack, c.removed_at AS removedAt, l.stream, l.t, l.line`;
    return this.run(() => {
      const older = db
        .prepare(`SELECT ${cols} FROM lines l JOIN containers c ON c.cid = l.cid WHERE l.cid = ? AND l.t < ? ORDER BY l.t DESC, l.rowid DESC LIMIT ?`)
        .all(cid, t, before) as Row[];
      const newer = db
        .prepare(`SELECT ${cols} FROM lines l JOIN containers c ON c.cid = l.cid WHERE l.cid = ? AND l.t >= ? ORDER BY l.t, l.rowid LIMIT ?`)
        .all(cid, t, after + 1) as Row[];
      return { items: [...older.reverse(), ...newer].map(hit) };
    });
  }

  /** Lines added after `afterId` that pass the filters (the live tail polls this). */
  newLines(f: SearchFilters, afterId: number, limit: number): Result<{ items: SearchHit[]; lastId: number }> {
    const db = this.conn();
    if (!db) return { ok: true, value: { items: [], lastId: afterId } };
    const w = this.filterSql(db, { ...f, query: f.regex ? f.query : f.query });
    if (!w.ok) return w;
    const { from, sql, params } = w.value;
    sql.push('l.rowid > ?');
    params.push(afterId);
    return this.run(() => {
      const rows = db.prepare(`SELECT l.rowid AS id, c.id AS containerId, c.name AS container, c.image, c.stack, c.removed_at AS removedAt, l.stream, l.t, l.line FROM ${from} WHERE ${sql.join(' AND ')} ORDER BY l.rowid LIMIT ?`).all(...params, limit) as Row[];
      const max = Number(db.prepare('SELECT coalesce(max(rowid), 0) FROM lines').pluck().get());
      const items = rows.map(hit);
      return { items, lastId: items.length === limit ? items.at(-1)!.id : Math.max(afterId, max) };
    });
  }

  /** A container's labels as indexed (alert scopes on removed or stopped containers). */
  labelsOf(containerId: string): Record<string, string> {
    const db = this.conn();
    const raw = db ? (db.prepare('SELECT labels FROM containers WHERE id = ?').pluck().get(containerId) as string | undefined) : undefined;
    return raw ? (JSON.parse(raw) as Record<string, string>) : {};
  }

  lastId(): number {
    const db = this.conn();
    return db ? Number(db.prepare('SELECT coalesce(max(rowid), 0) FROM lines').pluck().get()) : 0;
  }

  /** Containers known to the index (running and removed), for the page's filters. */
  containers(): { id: string; name: string; image: string; stack: string | null; removed: boolean; bytes: number }[] {
    const db = this.conn();
    if (!db) return [];
    return (db.prepare('SELECT id, name, image, stack, removed_at AS removedAt, bytes FROM containers ORDER BY name').all() as { id: string; name: string; image: string; stack: string | null; removedAt: number | null; bytes: number }[]).map(
      (r) => ({ id: r.id, name: r.name, image: r.image, stack: r.stack, removed: r.removedAt !== null, bytes: r.bytes }),
    );
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}

interface Row {
  id: number;
  containerId: string;
  container: string;
  image: string;
  stack: string | null;
  removedAt: number | null;
  stream: number;
  t: number;
  line: string;
}

function hit(r: Row): SearchHit {
  return {
    id: r.id,
    containerId: r.containerId,
    container: r.container,
    image: r.image,
    stack: r.stack,
    removed: r.removedAt !== null,
    stream: r.stream === 2 ? 'stderr' : 'stdout',
    t: r.t,
    time: toIso(r.t),
    line: r.line,
  };
}

export type { Database };
