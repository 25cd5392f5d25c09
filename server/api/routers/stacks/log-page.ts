// One page of a stack's merged logs, read backwards from a cursor: the newest `limit` lines older than
// `before`, across the stack's containers, ordered by time. The page opens the log view at once; older
// pages come as the user scrolls up, so a million-line stack never has to be read whole to be shown.
import type { Engine } from '@berth/runtime/engine';
import { LineAssembler, MuxDecoder } from '../../../engine/streams.ts';

export interface LogTarget {
  service: string;
  id: string;
  name: string;
}

export interface LogPage {
  /** Lines (each starting with its RFC3339Nano timestamp), oldest first, joined with "\n". */
  text: string;
  /** One character per line: "1" stdout, "2" stderr. */
  streams: string;
  /** Per line, the index of its service in `services`. */
  service: number[];
  services: string[];
  /** Pass as `before` for the next (older) page; null when the page is empty. */
  cursor: string | null;
  /** Whether older lines remain. */
  more: boolean;
  /** The time the first page was read up to (`since` for the live stream that goes on from it). */
  until: string;
}

/** A burst sharing one instant is read whole up to this many lines per container. */
const MAX_TAIL = 1_000_000;

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z /;

/**
 * A key that sorts like the time: Docker writes RFC3339Nano, which drops trailing zeros of the fraction
 * (".1Z" must sort before ".12Z"), so the fraction is padded to 9 digits. A line without a timestamp
 * sorts first.
 */
export function timeKey(line: string): string {
  const m = TS.exec(line);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : '';
}

/** A time key as the Engine API's "seconds.nanoseconds" (for `since` and `until`). */
export function keySeconds(key: string): string {
  const secs = Math.floor(Date.parse(`${key.slice(0, 19)}Z`) / 1000);
  if (!Number.isFinite(secs)) throw new Error(`not a log timestamp: ${key}`);
  return `${secs}.${key.slice(20, 29)}`;
}

/** The Engine API's `until` (inclusive) for "before this key": one nanosecond earlier. */
export function secondsBefore(key: string): string {
  const secs = Math.floor(Date.parse(`${key.slice(0, 19)}Z`) / 1000);
  if (!Number.isFinite(secs)) throw new Error(`not a log timestamp: ${key}`);
  const ns = Number(key.slice(20, 29));
  return ns > 0 ? `${secs}.${String(ns - 1).padStart(9, '0')}` : `${secs - 1}.999999999`;
}

/** Now as a time key (nanoseconds are not known: the current millisecond, padded). */
export function nowKey(): string {
  return `${new Date().toISOString().slice(0, 23)}000000Z`;
}

interface Line {
  key: string;
  text: string;
  stream: number;
  svc: number;
}

/** The lines of one `logs` answer (mux-framed, or raw with a TTY), with their stream. */
function splitLog(buf: Buffer, tty: boolean): { text: string; stream: number }[] {
  const out: { text: string; stream: number }[] = [];
  const asm = new Map<number, LineAssembler>();
  const take = (s: number, payload: Buffer) => {
    const key = s === 2 ? 2 : 1;
    let a = asm.get(key);
    if (!a) asm.set(key, (a = new LineAssembler()));
    for (const text of a.push(payload)) out.push({ text, stream: key });
  };
  if (tty) take(1, buf);
  else new MuxDecoder().push(buf, take);
  for (const [key, a] of asm) {
    const p = a.flush();
    if (p !== null) out.push({ text: p, stream: key });
  }
  return out;
}

/** Reads one page: each container's last `limit` lines up to the cursor, merged and cut to `limit`. */
export async function readLogPage(engine: Engine, targets: LogTarget[], opts: { before?: string; limit: number }): Promise<LogPage> {
  const until = opts.before ?? nowKey();
  const services = [...new Set(targets.map((t) => t.service))].sort();
  // Each container gives a share (twice an even one) rather than the whole limit: reading deep pages
  // costs what is read, and the floor below keeps a page gap-free however uneven the shares come out.
  const share = Math.min(opts.limit, Math.max(200, Math.ceil((2 * opts.limit) / Math.max(1, targets.length))));
  const perContainer = await Promise.all(
    targets.map(async (t) => {
      try {
        const c = engine.getContainer(t.id);
        const info = await c.inspect();
        const svc = services.indexOf(t.service);
        // Lines written in one burst share a timestamp: a container's oldest instant here must not be
        // the only one (it may be cut short, and the floor below drops it), so read more until it is not.
        for (let tail = share; ; tail *= 4) {
          const buf = await c.logs({ stdout: true, stderr: true, timestamps: true, tail, until: secondsBefore(until), follow: false });
          const raw = splitLog(buf, info.Config.Tty);
          const lines: Line[] = [];
          for (const l of raw) {
            const key = timeKey(l.text);
            // `until` is inclusive and whole seconds on some engines: the cursor itself is exclusive.
            if (key < until) lines.push({ key, text: l.text, stream: l.stream, svc });
          }
          const truncated = raw.length >= tail;
          // (Nothing left once filtered means an engine with a coarser `until`: read further too.)
          if (!truncated || tail >= MAX_TAIL || (lines.length > 0 && lines[0]!.key !== lines[lines.length - 1]!.key)) return { lines, truncated };
        }
      } catch {
        // A container removed meanwhile has nothing more to give.
        return { lines: [] as Line[], truncated: false };
      }
    }),
  );
  // A container cut short may have more lines of its oldest instant and older ones: nothing at or before
  // that instant may be shown yet, or the next page (older than the shown lines) would skip them.
  let floor = '';
  for (const p of perContainer) if (p.truncated && p.lines.length && p.lines[0]!.key > floor) floor = p.lines[0]!.key;
  let merged = perContainer.flatMap((p) => p.lines);
  merged.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let more = perContainer.some((p) => p.truncated);
  if (floor) merged = merged.filter((l) => l.key > floor);
  if (merged.length > opts.limit) {
    more = true;
    // Never split lines of the same instant between two pages: start after the instant cut through,
    // or, when the page would hold nothing else, take that instant whole.
    const from = merged.length - opts.limit;
    let cut = from;
    while (cut < merged.length && merged[cut]!.key === merged[cut - 1]!.key) cut++;
    if (cut === merged.length) for (cut = from; cut > 0 && merged[cut - 1]!.key === merged[cut]!.key; ) cut--;
    merged = merged.slice(cut);
  }
  return {
    text: merged.map((l) => l.text).join('\n'),
    streams: merged.map((l) => (l.stream === 2 ? '2' : '1')).join(''),
    service: merged.map((l) => l.svc),
    services,
    cursor: merged.length ? merged[0]!.key : null,
    more: more && merged.length > 0,
    until,
  };
}
