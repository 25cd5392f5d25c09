// The log index's own SQLite database ($BERTH_ROOT/logs-index/index.db), apart from dashboard.db so its
// write load (WAL, batched transactions) never contends with the dashboard's. See docs/logs.md.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type IndexDb = Database.Database;

export function indexDir(root: string): string {
  return path.join(root, 'logs-index');
}

export function indexFile(root: string): string {
  return path.join(indexDir(root), 'index.db');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS containers (
  cid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  image TEXT NOT NULL,
  labels TEXT NOT NULL,
  stack TEXT,
  retention TEXT,
  created_at INTEGER NOT NULL,
  removed_at INTEGER,
  bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS containers_stack ON containers(stack);
CREATE TABLE IF NOT EXISTS lines (
  rowid INTEGER PRIMARY KEY,
  cid INTEGER NOT NULL,
  -- microseconds since the epoch (fits a double exactly; ns would not)
  t INTEGER NOT NULL,
  stream INTEGER NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lines_cid_t ON lines(cid, t);
CREATE INDEX IF NOT EXISTS lines_t ON lines(t);
CREATE VIRTUAL TABLE IF NOT EXISTS lines_fts USING fts5(line, content='lines', content_rowid='rowid', tokenize='trigram');
-- The FTS index follows the lines table (external content). New lines are added to it in bulk, one
-- INSERT … SELECT per batch in the batch's transaction (indexer.ts): a per-row trigger was 5x slower.
DROP TRIGGER IF EXISTS lines_ai;
-- Deletes (retention) keep it exact row by row.
CREATE TRIGGER IF NOT EXISTS lines_ad AFTER DELETE ON lines BEGIN
  INSERT INTO lines_fts(lines_fts, rowid, line) VALUES ('delete', old.rowid, old.line);
END;
CREATE TABLE IF NOT EXISTS cursors (
  cid INTEGER PRIMARY KEY,
  ino INTEGER NOT NULL,
  pos INTEGER NOT NULL,
  pending_out TEXT NOT NULL DEFAULT '',
  pending_err TEXT NOT NULL DEFAULT ''
);
`;

/** Opens (and for the writer, creates) the index. Readers open read-only and see committed batches only. */
export function openIndex(root: string, opts: { readonly?: boolean } = {}): IndexDb {
  const file = indexFile(root);
  if (!opts.readonly) fs.mkdirSync(indexDir(root), { recursive: true, mode: 0o700 });
  const db = new Database(file, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly });
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // Batches are re-read from the container's files after a crash (the cursor commits with them), so
    // NORMAL is safe here: a lost tail of batches is indexed again, never half.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    fs.chmodSync(file, 0o600);
  }
  return db;
}
