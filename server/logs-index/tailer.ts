// Reads a container's log files from a stored (inode, offset), across rotation, never writing to them:
// the shim owns the files and is never slowed by a reader (docs/logs.md). Synchronous on purpose: it runs in
// the indexer's own process, and a tick's reads then land in one transaction.
import fs from 'node:fs';
import path from 'node:path';
import { HEADER_SIZE, LOG_FILE, parseRecords, type LogRecord } from '@berth/runtime/logs';

export interface TailPosition {
  ino: number;
  pos: number;
}

/** Log files oldest first (container.log.N … .1, container.log) with their inodes. */
function filesWithInodes(dir: string): { file: string; ino: number }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = names
    .map((n) => /^container\.log\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a)
    .map((n) => `${LOG_FILE}.${n}`);
  if (names.includes(LOG_FILE)) rotated.push(LOG_FILE);
  const out: { file: string; ino: number }[] = [];
  for (const n of rotated) {
    try {
      out.push({ file: path.join(dir, n), ino: fs.statSync(path.join(dir, n)).ino });
    } catch {
      /* rotated away meanwhile */
    }
  }
  return out;
}

export class LogTailer {
  private fd: number | null = null;
  ino = 0;
  pos = 0;

  constructor(
    readonly dir: string,
    start: TailPosition | null,
  ) {
    if (start) {
      this.ino = start.ino;
      this.pos = start.pos;
    }
  }

  /** Opens the file at the stored position, or the oldest file when that one is gone (rotated past). */
  private open(): boolean {
    const files = filesWithInodes(this.dir);
    if (files.length === 0) return false;
    const at = this.ino ? files.findIndex((f) => f.ino === this.ino) : -1;
    const pick = at >= 0 ? files[at]! : files[0]!;
    if (at < 0) this.pos = 0;
    try {
      this.fd = fs.openSync(pick.file, 'r');
    } catch {
      return false;
    }
    this.ino = pick.ino;
    return true;
  }

  /** Moves to the next newer file after the current one, if the current one was rotated. */
  private advance(): boolean {
    const files = filesWithInodes(this.dir);
    const at = files.findIndex((f) => f.ino === this.ino);
    const live = files.at(-1);
    if (!live || (at >= 0 && at === files.length - 1)) return false; // still the live file
    const next = at >= 0 ? files[at + 1]! : files[0]!;
    let fd: number;
    try {
      fd = fs.openSync(next.file, 'r');
    } catch {
      return false;
    }
    this.closeFd();
    this.fd = fd;
    this.ino = next.ino;
    this.pos = 0;
    return true;
  }

  /** Complete records written since the last read, up to about `budget` bytes. */
  read(budget: number): LogRecord[] {
    if (this.fd === null && !this.open()) return [];
    const out: LogRecord[] = [];
    let used = 0;
    for (;;) {
      const size = fs.fstatSync(this.fd!).size;
      if (size > this.pos && used < budget) {
        const want = Math.min(size - this.pos, Math.max(budget - used, HEADER_SIZE));
        let buf = Buffer.allocUnsafe(want);
        let n = fs.readSync(this.fd!, buf, 0, want, this.pos);
        let { records, end } = parseRecords(buf, 0, n);
        if (end === 0 && n >= HEADER_SIZE) {
          // One record larger than the budget: read it whole.
          const need = HEADER_SIZE + buf.readUInt32LE(12);
          if (size - this.pos >= need) {
            buf = Buffer.allocUnsafe(need);
            n = fs.readSync(this.fd!, buf, 0, need, this.pos);
            ({ records, end } = parseRecords(buf, 0, n));
          }
        }
        if (end > 0) {
          // Copy out of the read buffer so it is not kept alive by the payload views.
          for (const r of records) out.push({ time: r.time, stream: r.stream, payload: Buffer.from(r.payload) });
          this.pos += end;
          used += end;
          continue;
        }
      }
      if (used >= budget) return out;
      // Caught up with this file: if it is no longer the live one, go on with the next newer file.
      if (!this.advance()) return out;
    }
  }

  /** The container was removed: read what is left through the still-open descriptor. */
  drain(): LogRecord[] {
    if (this.fd === null) return [];
    const out: LogRecord[] = [];
    for (;;) {
      const got = this.read(64 * 1024 * 1024);
      if (got.length === 0) return out;
      out.push(...got);
    }
  }

  private closeFd(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  close(): void {
    this.closeFd();
  }
}
