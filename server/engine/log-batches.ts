// Turns an Engine logs stream (mux-framed, or raw with a TTY) into batches of whole lines for the
// logs subscription. Batches keep the SSE message count low when a container floods its log, and a
// short timer keeps a trickle of lines live.
import type { Readable } from 'node:stream';
import { AsyncQueue } from './async-queue.ts';
import { LineAssembler, MuxDecoder } from './streams.ts';

export interface LogBatch {
  /** The lines, joined with "\n" (no trailing newline). */
  text: string;
  /** One character per line: "1" stdout, "2" stderr. */
  streams: string;
  /**
   * Set once, on an empty batch, when the log written before the subscription has all been sent
   * (the stream went quiet); the page shows loading progress until then.
   */
  caughtUp?: true;
}

export interface LogBatchOptions {
  tty: boolean;
  signal?: AbortSignal;
  /** Send at most this often while lines arrive (ms). */
  intervalMs?: number;
  /** Send at once past this many lines. */
  maxLines?: number;
  /** A line without its newline is sent after this much quiet (a prompt, a progress line). */
  partialAfterMs?: number;
  /** Quiet after the backlog (ms) that marks it sent; an empty log is marked after `emptyAfterMs`. */
  caughtUpAfterMs?: number;
  emptyAfterMs?: number;
}

type Item = { chunk: Buffer } | { tick: true };

export async function* logBatches(stream: Readable, opts: LogBatchOptions): AsyncGenerator<LogBatch> {
  const intervalMs = opts.intervalMs ?? 100;
  const maxLines = opts.maxLines ?? 20_000;
  const partialAfterMs = opts.partialAfterMs ?? 500;
  const mux = new MuxDecoder();
  const asm = { 1: new LineAssembler(), 2: new LineAssembler() } as Record<number, LineAssembler>;
  let lines: string[] = [];
  let streams = '';
  const started = Date.now();
  let lastData = started;
  let sawData = false;
  let caughtUp = false;
  const caughtUpAfterMs = opts.caughtUpAfterMs ?? 250;
  const emptyAfterMs = opts.emptyAfterMs ?? 1500;

  const queue = new AsyncQueue<Item>();
  const timer = setInterval(() => queue.push({ tick: true }), intervalMs);
  const onData = (chunk: Buffer) => {
    queue.push({ chunk });
    // Backpressure: a slow browser must not make the server hold the whole log.
    if (queue.size > 64) stream.pause();
  };
  stream.on('data', onData);
  stream.once('end', () => queue.end());
  stream.once('close', () => queue.end());
  stream.once('error', (e) => queue.end(e));
  const abort = () => queue.end();
  opts.signal?.addEventListener('abort', abort, { once: true });

  const take = (s: number, payload: Buffer) => {
    const key = s === 2 ? 2 : 1;
    for (const l of asm[key]!.push(payload)) {
      lines.push(l);
      streams += key === 2 ? '2' : '1';
    }
  };
  const batch = (): LogBatch => {
    const b = { text: lines.join('\n'), streams };
    lines = [];
    streams = '';
    return b;
  };

  try {
    for (;;) {
      const r = await queue.next();
      if (r.done) break;
      const item = r.value;
      if ('chunk' in item) {
        lastData = Date.now();
        sawData = true;
        if (opts.tty) take(1, item.chunk);
        else mux.push(item.chunk, take);
        if (queue.size < 16 && stream.isPaused()) stream.resume();
        if (lines.length >= maxLines) yield batch();
        continue;
      }
      if (Date.now() - lastData >= partialAfterMs) {
        for (const key of [1, 2]) {
          const p = asm[key]!.flush();
          if (p !== null) {
            lines.push(p);
            streams += String(key);
          }
        }
      }
      if (lines.length) yield batch();
      if (!caughtUp && queue.size === 0 && (sawData ? Date.now() - lastData >= caughtUpAfterMs : Date.now() - started >= emptyAfterMs)) {
        caughtUp = true;
        yield { text: '', streams: '', caughtUp: true };
      }
      if (stream.isPaused() && queue.size < 16) stream.resume();
    }
    for (const key of [1, 2]) {
      const p = asm[key]!.flush();
      if (p !== null) {
        lines.push(p);
        streams += String(key);
      }
    }
    if (lines.length) yield batch();
    if (!caughtUp) yield { text: '', streams: '', caughtUp: true };
  } finally {
    clearInterval(timer);
    opts.signal?.removeEventListener('abort', abort);
    stream.off('data', onData);
    stream.destroy();
  }
}
