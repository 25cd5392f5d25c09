// The tailing indexer: follows every container's log files under $BERTH_ROOT/containers and writes their
// lines into the index in one transaction per tick, together with each container's cursor, so a kill -9
// resumes exactly where the last committed batch ended. Runs in its own low-priority process (process.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import { LineSplitter, type Line } from './lines.ts';
import { DEFAULT_RETENTION, effectiveRetention, RETENTION_LABEL, type Retention } from './retention.ts';
import { openIndex, type IndexDb } from './schema.ts';
import { LogTailer } from './tailer.ts';

export const STACK_LABEL = 'com.docker.compose.project';

export interface ContainerMeta {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  stack: string | null;
}

export interface IndexerOptions {
  /** $BERTH_ROOT */
  root: string;
  /** Global retention spec (retention.ts). */
  retention?: string;
  /** Bytes read per tick across all containers, so one tick's transaction stays short. */
  tickBudget?: number;
}

interface Tracked {
  meta: ContainerMeta;
  cid: number;
  retention: Retention;
  tailer: LogTailer | null;
  splitter: LineSplitter;
  configMtime: number;
}

const ID = /^[a-f0-9]{64}$/;

export class Indexer {
  readonly db: IndexDb;
  private readonly tracked = new Map<string, Tracked>();
  private readonly containersDir: string;
  private readonly globalRetention: string;
  private readonly budget: number;
  private readonly st: {
    upsert: Statement;
    cidOf: Statement;
    cursor: Statement;
    saveCursor: Statement;
    insert: Statement;
    lastRow: Statement;
    indexFrom: Statement;
    addBytes: Statement;
    removed: Statement;
    dropLines: Statement;
    dropContainer: Statement;
  };
  private ticks = 0;

  constructor(private readonly opts: IndexerOptions) {
    this.db = openIndex(opts.root);
    this.containersDir = path.join(opts.root, 'containers');
    this.globalRetention = opts.retention ?? DEFAULT_RETENTION;
    this.budget = opts.tickBudget ?? 16 * 1024 * 1024;
    const db = this.db;
    this.st = {
      upsert: db.prepare(
        `INSERT INTO containers (id, name, image, labels, stack, retention, created_at) VALUES (@id, @name, @image, @labels, @stack, @retention, @now)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, image = excluded.image, labels = excluded.labels, stack = excluded.stack, retention = excluded.retention, removed_at = NULL`,
      ),
      cidOf: db.prepare('SELECT cid FROM containers WHERE id = ?').pluck(),
      cursor: db.prepare('SELECT ino, pos, pending_out, pending_err FROM cursors WHERE cid = ?'),
      saveCursor: db.prepare(
        `INSERT INTO cursors (cid, ino, pos, pending_out, pending_err) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(cid) DO UPDATE SET ino = excluded.ino, pos = excluded.pos, pending_out = excluded.pending_out, pending_err = excluded.pending_err`,
      ),
      insert: db.prepare('INSERT INTO lines (cid, t, stream, line) VALUES (?, ?, ?, ?)'),
      lastRow: db.prepare('SELECT coalesce(max(rowid), 0) FROM lines').pluck(),
      // The whole batch into the trigram index in one statement (no per-row trigger).
      indexFrom: db.prepare('INSERT INTO lines_fts(rowid, line) SELECT rowid, line FROM lines WHERE rowid > ?'),
      addBytes: db.prepare('UPDATE containers SET bytes = bytes + ? WHERE cid = ?'),
      removed: db.prepare('UPDATE containers SET removed_at = ? WHERE cid = ?'),
      dropLines: db.prepare('DELETE FROM lines WHERE cid = ?'),
      dropContainer: db.prepare('DELETE FROM containers WHERE cid = ?'),
    };
  }

  /**
   * One pass: find new and removed containers, read what was written (at most `budget` bytes), commit it.
   * Returns lines added.
   */
  tick(budget = this.budget): number {
    this.ticks++;
    this.discover();
    const batch: { tr: Tracked; lines: Line[] }[] = [];
    let left = budget;
    const share = Math.max(Math.min(256 * 1024, budget), Math.floor(budget / Math.max(1, this.tracked.size)));
    for (const tr of this.tracked.values()) {
      if (!tr.tailer || left <= 0) continue;
      const before = tr.tailer.pos;
      const recs = tr.tailer.read(Math.min(share, left));
      left -= Math.max(0, tr.tailer.pos - before);
      if (recs.length === 0) continue;
      const lines: Line[] = [];
      for (const r of recs) tr.splitter.push(r, lines);
      batch.push({ tr, lines });
    }
    if (batch.length) this.commit(batch);
    if (this.ticks % 600 === 1) this.sweep(Date.now());
    return batch.reduce((n, b) => n + b.lines.length, 0);
  }

  private commit(batch: { tr: Tracked; lines: Line[] }[]): void {
    this.db.transaction(() => {
      const from = Number(this.st.lastRow.get());
      for (const { tr, lines } of batch) {
        let bytes = 0;
        for (const l of lines) {
          this.st.insert.run(tr.cid, Number(l.t / 1000n), l.stream, l.line);
          bytes += l.line.length;
        }
        if (bytes) this.st.addBytes.run(bytes, tr.cid);
        const t = tr.tailer!;
        this.st.saveCursor.run(tr.cid, t.ino, t.pos, tr.splitter.pending[1], tr.splitter.pending[2]);
      }
      this.st.indexFrom.run(from);
    })();
  }

  private readMeta(id: string): { meta: ContainerMeta; mtime: number } | null {
    const file = path.join(this.containersDir, id, 'config.json');
    try {
      const mtime = fs.statSync(file).mtimeMs;
      const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; config: { Image?: string; Labels?: Record<string, string> | null } };
      const labels = cfg.config.Labels ?? {};
      return { mtime, meta: { id, name: cfg.name.replace(/^\//, ''), image: cfg.config.Image ?? '', labels, stack: labels[STACK_LABEL] ?? null } };
    } catch {
      return null; // being created: next tick
    }
  }

  private track(id: string): void {
    const m = this.readMeta(id);
    if (!m) return;
    const label = m.meta.labels[RETENTION_LABEL];
    const retention = effectiveRetention(this.globalRetention, label);
    this.st.upsert.run({ ...m.meta, labels: JSON.stringify(m.meta.labels), retention: label ?? null, now: Date.now() });
    const cid = Number(this.st.cidOf.get(id));
    const cur = this.st.cursor.get(cid) as { ino: number; pos: number; pending_out: string; pending_err: string } | undefined;
    this.tracked.set(id, {
      meta: m.meta,
      cid,
      retention,
      tailer: retention.off ? null : new LogTailer(path.join(this.containersDir, id, 'log'), cur ? { ino: cur.ino, pos: cur.pos } : null),
      splitter: new LineSplitter(cur?.pending_out, cur?.pending_err),
      configMtime: m.mtime,
    });
  }

  private discover(): void {
    let ids: string[];
    try {
      ids = fs.readdirSync(this.containersDir).filter((n) => ID.test(n));
    } catch {
      ids = [];
    }
    const present = new Set(ids);
    for (const id of ids) {
      const tr = this.tracked.get(id);
      if (!tr) this.track(id);
      else if (this.ticks % 20 === 0) this.refreshMeta(tr);
    }
    for (const [id, tr] of this.tracked) if (!present.has(id)) this.gone(id, tr);
  }

  /** Renames and label changes (recreate keeps no id, but rename does). */
  private refreshMeta(tr: Tracked): void {
    const m = this.readMeta(tr.meta.id);
    if (!m || m.mtime === tr.configMtime) return;
    tr.meta = m.meta;
    tr.configMtime = m.mtime;
    this.st.upsert.run({ ...m.meta, labels: JSON.stringify(m.meta.labels), retention: m.meta.labels[RETENTION_LABEL] ?? null, now: Date.now() });
  }

  /** `docker rm`: index what the still-open file holds, then keep or drop per retention. */
  private gone(id: string, tr: Tracked): void {
    const lines: Line[] = [];
    if (tr.tailer) {
      for (const r of tr.tailer.drain()) tr.splitter.push(r, lines);
      tr.splitter.flush(lines.at(-1)?.t ?? BigInt(Date.now()) * 1_000_000n, lines);
      if (lines.length) this.commit([{ tr, lines }]);
      tr.tailer.close();
    }
    this.tracked.delete(id);
    this.db.transaction(() => {
      if (tr.retention.keepRemoved) this.st.removed.run(Date.now(), tr.cid);
      else {
        this.st.dropLines.run(tr.cid);
        this.db.prepare('DELETE FROM cursors WHERE cid = ?').run(tr.cid);
        this.st.dropContainer.run(tr.cid);
      }
    })();
  }

  /** Applies age and size limits per container; forgets removed containers with no lines left. */
  sweep(nowMs: number): void {
    const rows = this.db.prepare('SELECT cid, id, retention, removed_at, bytes FROM containers').all() as {
      cid: number;
      id: string;
      retention: string | null;
      removed_at: number | null;
      bytes: number;
    }[];
    for (const row of rows) {
      const r = effectiveRetention(this.globalRetention, row.retention ?? undefined);
      this.db.transaction(() => {
        if (r.ageMs > 0) this.db.prepare('DELETE FROM lines WHERE cid = ? AND t < ?').run(row.cid, (nowMs - r.ageMs) * 1000);
        if (r.sizeBytes > 0) this.trimToSize(row.cid, r.sizeBytes);
        const bytes = Number(this.db.prepare('SELECT coalesce(sum(length(line)), 0) FROM lines WHERE cid = ?').pluck().get(row.cid));
        this.db.prepare('UPDATE containers SET bytes = ? WHERE cid = ?').run(bytes, row.cid);
        if (row.removed_at !== null && bytes === 0) {
          this.db.prepare('DELETE FROM cursors WHERE cid = ?').run(row.cid);
          this.st.dropContainer.run(row.cid);
        }
      })();
    }
  }

  /** Deletes the oldest lines past `max` bytes of text. */
  private trimToSize(cid: number, max: number): void {
    let total = 0;
    let cut: number | null = null;
    for (const row of this.db.prepare('SELECT t, length(line) AS n FROM lines WHERE cid = ? ORDER BY t DESC').iterate(cid) as Iterable<{ t: number; n: number }>) {
      total += row.n;
      if (total > max) {
        cut = row.t;
        break;
      }
    }
    if (cut !== null) this.db.prepare('DELETE FROM lines WHERE cid = ? AND t <= ?').run(cid, cut);
  }

  close(): void {
    for (const tr of this.tracked.values()) tr.tailer?.close();
    this.tracked.clear();
    this.db.close();
  }
}
