// A small synchronous log writer with the shim's rotation rules, for tests and the builder (the shim has
// its own C++ writer). Synchronous so records from one caller keep their order without a queue.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeHeader, HEADER_SIZE, LOG_FILE, type StreamId } from './record.js';

export interface LogWriterOptions {
  /** Rotate when a record would take the file past this many bytes; 0 = never. */
  maxSize?: number;
  /** Files kept in all (container.log plus container.log.1 … .maxFiles-1). */
  maxFiles?: number;
}

export class LogWriter {
  readonly dir: string;
  private fd: number;
  private size: number;
  private readonly maxSize: number;
  private readonly maxFiles: number;
  private lastTime = 0n;

  constructor(dir: string, opts: LogWriterOptions = {}) {
    this.dir = dir;
    this.maxSize = opts.maxSize ?? 0;
    this.maxFiles = Math.max(1, opts.maxFiles ?? 1);
    fs.mkdirSync(dir, { recursive: true });
    this.fd = fs.openSync(this.file(0), 'a', 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  private file(n: number): string {
    return path.join(this.dir, n === 0 ? LOG_FILE : `${LOG_FILE}.${n}`);
  }

  /** Appends one record. `time` defaults to now (kept monotonic so equal-ms writes still order). */
  write(stream: StreamId, data: Buffer | string, time?: bigint): void {
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    let t = time ?? nowNs();
    if (time === undefined && t <= this.lastTime) t = this.lastTime + 1n;
    this.lastTime = t;
    const total = HEADER_SIZE + payload.length;
    if (this.maxSize > 0 && this.size > 0 && this.size + total > this.maxSize) this.rotate();
    const header = encodeHeader(t, stream, payload.length);
    // One writev so a concurrent reader never sees a header without its payload for long.
    fs.writevSync(this.fd, [header, payload]);
    this.size += total;
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    if (this.maxFiles === 1) {
      fs.rmSync(this.file(0), { force: true });
    } else {
      fs.rmSync(this.file(this.maxFiles - 1), { force: true });
      for (let n = this.maxFiles - 2; n >= 0; n--) {
        try {
          fs.renameSync(this.file(n), this.file(n + 1));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    }
    this.fd = fs.openSync(this.file(0), 'a', 0o640);
    this.size = 0;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export function nowNs(): bigint {
  // Date.now() is ms; hrtime gives the sub-ms part relative to an arbitrary origin, so use it only
  // for the fraction within the current ms.
  const ms = BigInt(Date.now());
  const sub = process.hrtime.bigint() % 1_000_000n;
  return ms * 1_000_000n + sub;
}
