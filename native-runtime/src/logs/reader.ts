// Reads a container's log records. A full read uses a few large reads and no per-line work; `tail`
// reads windows backwards from the end and resynchronises on record headers, so "tail 10" of a 200 MB
// log touches only its last few hundred KiB.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  HEADER_SIZE,
  LOG_FILE,
  parseRecords,
  plausibleHeader,
  secondsToNs,
  type LogRecord,
} from './record.js';

export interface ReadOptions {
  /** Both default to true when neither is given. */
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds (int, float or "sec.nanos"); records older than this are skipped. 0 = no bound. */
  since?: number | string;
  /** Unix seconds; records newer than this are skipped. 0 = no bound. */
  until?: number | string;
  /** Number of LINES from the end (after stream/since/until filtering); "all", undefined or < 0 = all. */
  tail?: number | string;
}

/** Where reading stopped in the live file, so follow can go on from there. */
export interface LogCursor {
  ino: number;
  pos: number;
}

interface Filter {
  out: boolean;
  err: boolean;
  since: bigint | undefined;
  until: bigint | undefined;
}

export function makeFilter(opts: ReadOptions): Filter {
  const none = opts.stdout === undefined && opts.stderr === undefined;
  return {
    out: none || !!opts.stdout,
    err: none || !!opts.stderr,
    since: secondsToNs(opts.since),
    until: secondsToNs(opts.until),
  };
}

export function keep(f: Filter, r: LogRecord): boolean {
  if (r.stream === 1 ? !f.out : !f.err) return false;
  if (f.since !== undefined && r.time < f.since) return false;
  if (f.until !== undefined && r.time > f.until) return false;
  return true;
}

export function parseTail(t: number | string | undefined): number {
  if (t === undefined || t === 'all' || t === '') return -1;
  const n = typeof t === 'number' ? t : Number.parseInt(t, 10);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : -1;
}

/** Log files oldest first: container.log.N … container.log.1, container.log (missing ones skipped). */
export async function logFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const rotated = names
    .map((n) => /^container\.log\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a)
    .map((n) => path.join(dir, `${LOG_FILE}.${n}`));
  if (names.includes(LOG_FILE)) rotated.push(path.join(dir, LOG_FILE));
  return rotated;
}

export async function readLogs(dir: string, opts: ReadOptions = {}): Promise<LogRecord[]> {
  return (await readLogsAt(dir, opts)).records;
}

/** readLogs plus the position reached in the live container.log (for followLogs). */
export async function readLogsAt(dir: string, opts: ReadOptions = {}): Promise<{ records: LogRecord[]; cursor: LogCursor | null }> {
  const filter = makeFilter(opts);
  const tail = parseTail(opts.tail);
  const files = await logFiles(dir);
  if (tail < 0) return readForward(files, filter);
  return readTail(files, filter, tail);
}

async function readWhole(fh: fsp.FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(to - from);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

async function openOrNull(file: string): Promise<fsp.FileHandle | null> {
  try {
    return await fsp.open(file, 'r');
  } catch (e) {
    // Rotation may have moved or deleted a file between readdir and open.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const isLive = (file: string) => path.basename(file) === LOG_FILE;

async function readForward(files: string[], filter: Filter): Promise<{ records: LogRecord[]; cursor: LogCursor | null }> {
  const out: LogRecord[] = [];
  let cursor: LogCursor | null = null;
  const all = filter.out && filter.err && filter.since === undefined && filter.until === undefined;
  for (const file of files) {
    const fh = await openOrNull(file);
    if (!fh) continue;
    try {
      const st = await fh.stat();
      const buf = await readWhole(fh, 0, st.size);
      const { records, end } = parseRecords(buf);
      if (all) for (const r of records) out.push(r);
      else for (const r of records) if (keep(filter, r)) out.push(r);
      if (isLive(file)) cursor = { ino: st.ino, pos: end };
    } finally {
      await fh.close();
    }
  }
  return { records: out, cursor };
}

const FIRST_WINDOW = 256 * 1024;
const MAX_WINDOW = 16 * 1024 * 1024;

/**
 * Finds the first offset in buf[0, end) from which the chain of record lengths lands exactly on `end`
 * (or, when `partialOk`, on a record that runs past `end` — one the shim is still writing).
 * Returns that offset and the offset where complete records stop.
 */
function findBoundary(buf: Buffer, end: number, partialOk: boolean): { start: number; stop: number } | null {
  for (let c = 0; c + HEADER_SIZE <= end; c++) {
    // Cheap byte test first: most offsets fail on bytes 9..11.
    if (buf[c + 9] !== 0 || buf[c + 10] !== 0 || buf[c + 11] !== 0 || !plausibleHeader(buf, c)) continue;
    let off = c;
    for (;;) {
      const next = off + HEADER_SIZE + buf.readUInt32LE(off + 12);
      if (next === end) return { start: c, stop: end };
      if (next > end) {
        if (partialOk) return { start: c, stop: off };
        break;
      }
      if (next + HEADER_SIZE > end) {
        // Only a torn header remains: fine for the live file's in-flight write.
        if (partialOk) return { start: c, stop: next };
        break;
      }
      if (!plausibleHeader(buf, next)) break;
      off = next;
    }
  }
  return null;
}

async function readTail(files: string[], filter: Filter, tail: number): Promise<{ records: LogRecord[]; cursor: LogCursor | null }> {
  // Chunks collected newest first; each chunk's records are in file order.
  const chunks: LogRecord[][] = [];
  let cursor: LogCursor | null = null;
  let remaining = tail; // newlines still to pass before cutting
  let sawLastByte = false; // whether the newest kept byte was seen (its trailing \n does not count)
  let done = false;

  for (let i = files.length - 1; i >= 0 && !done; i--) {
    if (tail === 0 && !isLive(files[i]!)) break;
    const file = files[i]!;
    const fh = await openOrNull(file);
    if (!fh) continue;
    try {
      const st = await fh.stat();
      let end = st.size;
      let partialOk = isLive(file);
      let win = FIRST_WINDOW;
      let firstWindow = true;
      while (end > 0 && !done) {
        const start = Math.max(0, end - win);
        const buf = await readWhole(fh, start, end);
        let b: { start: number; stop: number } | null;
        if (start === 0) {
          const p = parseRecords(buf);
          b = { start: 0, stop: p.end };
        } else {
          b = findBoundary(buf, buf.length, partialOk);
        }
        if (!b) {
          win *= 2; // a record larger than the window: widen it (reaching offset 0 always succeeds)
          continue;
        }
        if (firstWindow && isLive(file)) cursor = { ino: st.ino, pos: start + b.stop };
        firstWindow = false;
        partialOk = false;
        if (tail === 0) break; // only the cursor was wanted
        const { records } = parseRecords(buf, b.start, b.stop);
        const kept: LogRecord[] = [];
        // Walk this window's records newest first, counting newlines.
        for (let k = records.length - 1; k >= 0; k--) {
          const r = records[k]!;
          if (filter.since !== undefined && r.time < filter.since) {
            done = true; // older records only from here on
            break;
          }
          if (!keep(filter, r) || r.payload.length === 0) continue;
          let p = r.payload;
          let pos = p.length - 1;
          if (!sawLastByte) {
            sawLastByte = true;
            if (p[pos] === 10) pos--;
          }
          let cut = -1;
          while (pos >= 0) {
            const nl = p.lastIndexOf(10, pos);
            if (nl === -1) break;
            if (--remaining === 0) {
              cut = nl + 1;
              break;
            }
            pos = nl - 1;
          }
          if (cut >= 0) {
            done = true;
            if (cut < p.length) kept.push({ ...r, payload: p.subarray(cut) });
            break;
          }
          kept.push(r);
        }
        kept.reverse();
        chunks.push(kept);
        end = start + b.start;
        win = Math.min(win * 2, MAX_WINDOW);
      }
    } finally {
      await fh.close();
    }
  }
  const records: LogRecord[] = [];
  for (let c = chunks.length - 1; c >= 0; c--) for (const r of chunks[c]!) records.push(r);
  return { records, cursor };
}
