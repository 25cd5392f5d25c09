// Turns records into the bytes the Engine API sends for /logs: Docker's 8-byte multiplexed framing
// ([stream,0,0,0,u32 BE length] + payload) without a TTY, raw bytes with one.
import type { LogRecord, StreamId } from './record.js';

export interface FormatOptions {
  tty?: boolean;
  timestamps?: boolean;
}

/** RFC3339 with a fixed 9-digit fraction, UTC — Docker's `RFC3339NanoFixed` used by `docker logs -t`. */
export function rfc3339NanoFixed(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const iso = new Date(Number(sec) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

/** Per-stream "at the start of a line" state, so a line split over records gets one prefix. */
export type LineState = { 1: boolean; 2: boolean };
export const freshLineState = (): LineState => ({ 1: true, 2: true });

/**
 * Formats records. Without timestamps this is one memcpy per record into one buffer; with timestamps
 * each line that starts in a record gets that record's time + " " in front.
 */
export function formatLogs(records: readonly LogRecord[], opts: FormatOptions = {}, state: LineState = freshLineState()): Buffer {
  const tty = opts.tty ?? false;
  const payloads = opts.timestamps ? records.map((r) => prefixLines(r, state)) : records.map((r) => r.payload);
  let total = 0;
  for (const p of payloads) total += p.length + (tty ? 0 : 8);
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i]!;
    if (!tty) {
      if (p.length === 0) continue;
      writeFrameHeader(out, off, records[i]!.stream, p.length);
      off += 8;
    }
    off += p.copy(out, off);
  }
  return off === total ? out : out.subarray(0, off);
}

function prefixLines(r: LogRecord, state: LineState): Buffer {
  const p = r.payload;
  if (p.length === 0) return p;
  const prefix = Buffer.from(`${rfc3339NanoFixed(r.time)} `);
  const parts: Buffer[] = [];
  let start = 0;
  let atStart = state[r.stream];
  while (start < p.length) {
    const nl = p.indexOf(10, start);
    const end = nl === -1 ? p.length : nl + 1;
    if (atStart) parts.push(prefix);
    parts.push(p.subarray(start, end));
    atStart = nl !== -1;
    start = end;
  }
  state[r.stream] = atStart;
  return Buffer.concat(parts);
}

export function writeFrameHeader(out: Buffer, off: number, stream: number, len: number): void {
  out[off] = stream;
  out[off + 1] = 0;
  out[off + 2] = 0;
  out[off + 3] = 0;
  out.writeUInt32BE(len, off + 4);
}

export function muxFrame(stream: 0 | StreamId, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + payload.length);
  writeFrameHeader(out, 0, stream, payload.length);
  payload.copy(out, 8);
  return out;
}

/** Splits a complete multiplexed buffer into stdout and stderr (as dockerode's demuxStream does). */
export function demux(buf: Buffer): { stdout: Buffer; stderr: Buffer; frames: { stream: number; payload: Buffer }[] } {
  const frames: { stream: number; payload: Buffer }[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off + 4);
    if (off + 8 + len > buf.length) throw new Error(`truncated frame at ${off}`);
    frames.push({ stream: buf[off]!, payload: buf.subarray(off + 8, off + 8 + len) });
    off += 8 + len;
  }
  if (off !== buf.length) throw new Error(`trailing ${buf.length - off} bytes`);
  const pick = (s: number) => Buffer.concat(frames.filter((f) => f.stream === s).map((f) => f.payload));
  return { stdout: pick(1), stderr: pick(2), frames };
}
