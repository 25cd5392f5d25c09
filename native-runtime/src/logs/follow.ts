// `docker logs -f`: the records already on disk, then new ones as the shim appends them. fs.watch on the
// directory wakes us early; a timer polls as well because fs.watch can miss or merge events. Rotation is
// seen as a new inode behind container.log: the old file is drained through its still-open handle, and
// any files rotated in between are read too, so nothing is lost or repeated.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { formatLogs, freshLineState, type FormatOptions } from './format.js';
import { keep, logFiles, makeFilter, readLogsAt, type ReadOptions } from './reader.js';
import { LOG_FILE, parseRecords, type LogRecord } from './record.js';

export interface FollowOptions extends ReadOptions, FormatOptions {
  /** Emit LogRecord objects instead of formatted bytes. */
  objectMode?: boolean;
  /** Fallback poll interval (ms). */
  pollMs?: number;
}

/** `() => boolean` polled, or a promise that settles when the container has exited. */
export type RunningProbe = (() => boolean) | Promise<unknown>;

const READ_CHUNK = 8 * 1024 * 1024;

export function followLogs(dir: string, opts: FollowOptions, isRunning: RunningProbe): Readable {
  const filter = makeFilter(opts);
  const lineState = freshLineState();
  const pollMs = opts.pollMs ?? 250;
  let exited = false;
  if (typeof isRunning !== 'function') {
    isRunning.then(
      () => ((exited = true), kick()),
      () => ((exited = true), kick()),
    );
  }
  const running = () => !exited && (typeof isRunning !== 'function' || isRunning());

  let fh: fsp.FileHandle | null = null;
  let ino = 0;
  let pos = 0;
  let started = false;
  let busy = false;
  let again = false;
  let ended = false;
  let waitingForRead = false;
  let watcher: fs.FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;

  const stream = new Readable({
    objectMode: !!opts.objectMode,
    read() {
      if (waitingForRead) {
        waitingForRead = false;
        kick();
      }
    },
    destroy(err, cb) {
      stop().then(() => cb(err), cb);
    },
  });

  /** Pushes records; false when the consumer wants us to wait (or the stream has ended). */
  function emit(records: LogRecord[]): boolean {
    let ok = true;
    const kept: LogRecord[] = [];
    for (const r of records) {
      if (filter.until !== undefined && r.time > filter.until) {
        flush(kept);
        finish();
        return false;
      }
      if (keep(filter, r)) kept.push(r);
    }
    ok = flush(kept);
    return ok;
  }
  function flush(kept: LogRecord[]): boolean {
    if (kept.length === 0 || ended) return !ended;
    if (opts.objectMode) {
      let ok = true;
      for (const r of kept) ok = stream.push(r);
      return ok;
    }
    return stream.push(formatLogs(kept, opts, lineState));
  }

  async function stop(): Promise<void> {
    ended = true;
    watcher?.close();
    watcher = null;
    if (timer) clearInterval(timer);
    timer = null;
    const h = fh;
    fh = null;
    await h?.close().catch(() => {});
  }
  function finish(): void {
    if (ended) return;
    void stop().then(() => stream.push(null));
  }

  /** Reads complete records from the current handle; false if the consumer is full. */
  async function drainCurrent(): Promise<boolean> {
    while (fh && !ended) {
      const { size } = await fh.stat();
      if (size <= pos) return true;
      const len = Math.min(size - pos, READ_CHUNK);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      let { records, end } = parseRecords(buf, 0, bytesRead);
      if (end === 0 && bytesRead === len && len === READ_CHUNK) {
        // One record bigger than a chunk: read it whole.
        const need = 16 + buf.readUInt32LE(12);
        const big = Buffer.allocUnsafe(need);
        const r = await fh.read(big, 0, need, pos);
        ({ records, end } = parseRecords(big, 0, r.bytesRead));
      }
      if (end === 0) return true; // only a partial record so far
      pos += end;
      if (!emit(records)) return false;
    }
    return true;
  }

  async function openLive(): Promise<boolean> {
    try {
      fh = await fsp.open(path.join(dir, LOG_FILE), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    ino = (await fh.stat()).ino;
    return true;
  }

  /** container.log is a different file now: read what was rotated past us, oldest first. */
  async function catchUpRotation(): Promise<boolean> {
    // The writer may have appended to the old file between our last read and the rename.
    if (!(await drainCurrent())) return false;
    const files = await logFiles(dir);
    const inodes: { file: string; ino: number }[] = [];
    for (const f of files) {
      try {
        inodes.push({ file: f, ino: (await fsp.stat(f)).ino });
      } catch {
        /* rotated away meanwhile */
      }
    }
    const idx = inodes.findIndex((x) => x.ino === ino);
    // Everything newer than the file we were reading; if it is gone, every file left is newer.
    const newer = inodes.slice(idx + 1).filter((x) => path.basename(x.file) !== LOG_FILE);
    await fh?.close();
    fh = null;
    for (const f of newer) {
      const h = await fsp.open(f.file, 'r').catch(() => null);
      if (!h) continue;
      fh = h;
      ino = f.ino;
      pos = 0;
      if (!(await drainCurrent())) return false;
      await h.close();
      fh = null;
    }
    pos = 0;
    return openLive();
  }

  async function tick(): Promise<void> {
    if (ended) return;
    if (!started) {
      started = true;
      const { records, cursor } = await readLogsAt(dir, opts);
      // Records from readLogs are already filtered; only `until` may end the stream.
      if (!emit(records)) waitingForRead = !ended;
      if (cursor) {
        fh = await fsp.open(path.join(dir, LOG_FILE), 'r').catch(() => null);
        if (fh) {
          ino = (await fh.stat()).ino;
          if (ino === cursor.ino) pos = cursor.pos;
          else await catchUpFrom0();
        }
      }
      if (waitingForRead || ended) return;
    }
    const wasRunning = running();
    if (!fh) {
      if (!(await openLive())) {
        if (!wasRunning) finish();
        return;
      }
      pos = 0;
    }
    if (!(await drainCurrent())) {
      waitingForRead = !ended;
      return;
    }
    const cur = await fsp.stat(path.join(dir, LOG_FILE)).catch(() => null);
    if (!cur || cur.ino !== ino) {
      if (!(await catchUpRotation())) {
        waitingForRead = !ended;
        return;
      }
      if (!(await drainCurrent())) {
        waitingForRead = !ended;
        return;
      }
    }
    // The shim flushes the log before the exit is recorded, so once we saw "not running" before this
    // drain, everything has been read.
    if (!wasRunning) finish();
  }

  async function catchUpFrom0(): Promise<void> {
    // The file rotated between readLogs and open: start the new file from its beginning.
    pos = 0;
  }

  function kick(): void {
    if (ended) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    tick()
      .catch((e: unknown) => {
        if (!ended) stream.destroy(e as Error);
      })
      .finally(() => {
        busy = false;
        if (again && !waitingForRead) {
          again = false;
          kick();
        }
      });
  }

  try {
    watcher = fs.watch(dir, { persistent: false }, () => kick());
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null; // directory missing yet: the timer covers it
  }
  timer = setInterval(() => {
    if (!waitingForRead) kick();
  }, pollMs);
  kick();
  return stream;
}
