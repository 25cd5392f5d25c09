// The on-disk log record (docs/runtime.md "Log format"): a 16-byte little-endian header, then the payload.
//   0..7 u64 ns timestamp | 8 stream (1 stdout, 2 stderr) | 9..11 zero | 12..15 u32 payload length

export const HEADER_SIZE = 16;
export const STDOUT = 1;
export const STDERR = 2;
export type StreamId = typeof STDOUT | typeof STDERR;

export interface LogRecord {
  /** Nanoseconds since the epoch. bigint because ns since 1970 do not fit a double exactly. */
  time: bigint;
  stream: StreamId;
  payload: Buffer;
}

/** Rotated files, oldest first: container.log.N … container.log.1, container.log. */
export const LOG_FILE = 'container.log';

// Plausible timestamps for resynchronising on a record boundary when reading backwards (2000..2200).
const MIN_TS = 946_684_800_000_000_000n;
const MAX_TS = 7_258_118_400_000_000_000n;

export function encodeHeader(time: bigint, stream: StreamId, length: number, into?: Buffer, at = 0): Buffer {
  const b = into ?? Buffer.alloc(HEADER_SIZE);
  b.writeBigUInt64LE(time, at);
  b[at + 8] = stream;
  b[at + 9] = 0;
  b[at + 10] = 0;
  b[at + 11] = 0;
  b.writeUInt32LE(length, at + 12);
  return b;
}

export function encodeRecord(rec: LogRecord): Buffer {
  const b = Buffer.allocUnsafe(HEADER_SIZE + rec.payload.length);
  encodeHeader(rec.time, rec.stream, rec.payload.length, b, 0);
  rec.payload.copy(b, HEADER_SIZE);
  return b;
}

/** Cheap shape check of a header at `off` (no timestamp parse unless the cheap bytes match). */
export function plausibleHeader(buf: Buffer, off: number): boolean {
  if (off + HEADER_SIZE > buf.length) return false;
  const s = buf[off + 8];
  if ((s !== STDOUT && s !== STDERR) || buf[off + 9] !== 0 || buf[off + 10] !== 0 || buf[off + 11] !== 0) return false;
  const t = buf.readBigUInt64LE(off);
  return t >= MIN_TS && t <= MAX_TS;
}

/**
 * Parse every complete record in buf[from, to). Payloads are views into buf (no copy).
 * Returns the records and the offset just after the last complete one (a record the shim is still
 * writing is left for the next read).
 */
export function parseRecords(buf: Buffer, from = 0, to = buf.length): { records: LogRecord[]; end: number } {
  const records: LogRecord[] = [];
  let off = from;
  while (off + HEADER_SIZE <= to) {
    const len = buf.readUInt32LE(off + 12);
    const next = off + HEADER_SIZE + len;
    if (next > to) break;
    records.push({
      time: buf.readBigUInt64LE(off),
      stream: buf[off + 8] as StreamId,
      payload: buf.subarray(off + HEADER_SIZE, next),
    });
    off = next;
  }
  return { records, end: off };
}

/** Seconds (int, float or Docker's "sec.nanos" string) → ns. 0/undefined/"" mean "no bound". */
export function secondsToNs(v: number | string | undefined | null): bigint | undefined {
  if (v === undefined || v === null || v === '' || v === 0 || v === '0') return undefined;
  const s = typeof v === 'number' ? v.toFixed(9) : v.trim();
  const m = /^(-?\d+)(?:\.(\d{1,9})\d*)?$/.exec(s);
  if (!m) throw new TypeError(`invalid timestamp: ${String(v)}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  const sec = BigInt(m[1]!);
  return sec * 1_000_000_000n + (sec < 0n ? -1n : 1n) * BigInt(frac);
}
