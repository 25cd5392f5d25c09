// POST /containers/{id}/attach (hijacked). A running container is attached at once. The docker CLI
// attaches *before* it starts the container (docker run, docker start -a); the engine attaches running
// containers only, so then the connection is answered at once, input is queued, and at the container's
// start event the live attachment is made. Output the process wrote before that moment is taken from
// the container's log (everything since the attach request) and the live stream continues after it:
// the part both carry is dropped once (see `overlap`).
import type { Duplex } from 'node:stream';
import type { ContainerHandle, ContainerInspect } from '@berth/runtime/engine';
import { route, type Ctx, type Route } from '../context.ts';
import { FrameParser, type Frame } from '../frames.ts';
import { bridge, openRawStream, type RawConn } from '../hijack.ts';
import { MUX_STREAM, RAW_STREAM, muxFrame } from '../streams.ts';

interface Wanted {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  logs: boolean;
  stream: boolean;
}

async function attach(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const want: Wanted = {
    stdin: q.bool('stdin') ?? false,
    stdout: q.bool('stdout') ?? false,
    stderr: q.bool('stderr') ?? false,
    logs: q.bool('logs') ?? false,
    stream: q.bool('stream') ?? false,
  };
  const c = ctx.engine.getContainer(ctx.params['id']!);
  const info = await c.inspect(); // 404 before the upgrade
  ctx.audit.target = info.Id;
  const tty = !!info.Config.Tty;
  const type = tty ? RAW_STREAM : MUX_STREAM;
  if (info.State.Running || !want.stream) {
    const d = await c.attach({ stream: want.stream, stdin: want.stdin, stdout: want.stdout, stderr: want.stderr, logs: want.logs }); // 409s before the upgrade
    const conn = openRawStream(ctx, type);
    await bridge(conn, d, { stdin: want.stdin && ctx.upgrade !== null });
    return;
  }
  await attachBeforeStart(ctx, c, info, want, type);
}

/** Waits for the container's start (or removal, or the client leaving), then streams as described above. */
async function attachBeforeStart(ctx: Ctx, c: ContainerHandle, info: ContainerInspect, want: Wanted, type: string): Promise<void> {
  const since = Date.now() / 1000;
  const tty = !!info.Config.Tty;
  // Subscribed (with replay from now) before the client hears back, since it starts the container then.
  const events = await ctx.engine.getEvents({ since, filters: { type: ['container'], container: [info.Id], event: ['start', 'destroy'] } });
  const conn = openRawStream(ctx, type);
  const input = new InputQueue(conn, want.stdin && ctx.upgrade !== null && !!info.Config.OpenStdin);
  const outcome = await new Promise<'start' | 'gone'>((resolve) => {
    let text = '';
    events.on('data', (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('"start"')) resolve('start');
      else if (text.includes('"destroy"')) resolve('gone');
    });
    events.once('end', () => resolve('gone'));
    events.once('error', () => resolve('gone'));
    void conn.closed.then(() => resolve('gone'));
    // It may have started between the inspect and the subscription.
    void c.inspect().then(
      (i) => i.State.Running && resolve('start'),
      () => resolve('gone'),
    );
  });
  events.destroy();
  if (outcome === 'gone') {
    conn.finish();
    return;
  }
  let live: Duplex | null = null;
  try {
    live = await c.attach({ stream: true, stdin: input.enabled, stdout: want.stdout, stderr: want.stderr });
  } catch {
    live = null; // already exited: the log has all of it
  }
  const liveFrames: Frame[] = [];
  const parser = new FrameParser();
  const collect = (chunk: Buffer): void => {
    if (tty) liveFrames.push({ stream: 1, payload: chunk });
    else liveFrames.push(...parser.push(chunk));
  };
  live?.on('data', collect);
  let ended = !live;
  const liveEnded = new Promise<void>((r) => {
    if (!live) return r();
    const done = () => ((ended = true), r());
    live.once('end', done);
    live.once('close', done);
    live.once('error', done);
  });
  if (live) input.connect(live);
  // The shim registers a client when it has read its hello line, a moment after connect() resolves.
  // Output that arrives live proves registration; silence for a while means there was nothing to miss.
  await until(() => ended || liveFrames.length > 0, REGISTER_WAIT_MS);
  const past = (await c.logs({ follow: false, stdout: want.stdout, stderr: want.stderr, since })) as Buffer;
  const pastFrames: Frame[] = tty ? [{ stream: 1, payload: past }] : new FrameParser().push(past);
  conn.output.write(past);
  // While everything that came live is also in the log, more of what the log holds may still be on its
  // way: wait (bounded) until the live stream has gone past the log's end, or ended.
  const skip = new Map<number, number>();
  const decide = (): boolean => {
    let settled = true;
    for (const st of [1, 2]) {
      const l = concat(liveFrames, st);
      const n = overlap(concat(pastFrames, st), l);
      skip.set(st, n);
      if (n > 0 && n === l.length) settled = false;
    }
    return settled;
  };
  await until(() => decide() || ended, OVERLAP_WAIT_MS);
  const emit = (f: Frame): void => {
    let payload = f.payload;
    const n = skip.get(f.stream) ?? 0;
    if (n > 0) {
      const cut = Math.min(n, payload.length);
      skip.set(f.stream, n - cut);
      payload = payload.subarray(cut);
    }
    if (payload.length) conn.output.write(tty ? payload : muxFrame(f.stream as 1 | 2, payload));
  };
  for (const f of liveFrames.splice(0)) emit(f);
  if (live) {
    live.off('data', collect);
    live.on('data', (chunk: Buffer) => {
      if (tty) emit({ stream: 1, payload: chunk });
      else for (const f of parser.push(chunk)) emit(f);
    });
    void conn.closed.then(() => live?.destroy());
  }
  await liveEnded;
  conn.finish();
}

const REGISTER_WAIT_MS = 50;
const OVERLAP_WAIT_MS = 200;

async function until(ok: () => boolean, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
}

function concat(frames: Frame[], stream: number): Buffer {
  return Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.payload));
}

/** The longest prefix of `live` that `past` ends with: bytes both the log and the live stream hold. */
export function overlap(past: Buffer, live: Buffer): number {
  if (!past.length || !live.length) return 0;
  const start = Math.max(0, past.length - live.length);
  const probe = live.subarray(0, Math.min(64, live.length));
  const fits = (k: number): boolean => past.subarray(k).equals(live.subarray(0, past.length - k));
  // Smallest start position first: that is the longest overlap.
  for (let k = past.indexOf(probe, start); k !== -1 && k + probe.length <= past.length; k = past.indexOf(probe, k + 1)) {
    if (fits(k)) return past.length - k;
  }
  for (let k = Math.max(start, past.length - probe.length + 1); k < past.length; k++) if (fits(k)) return past.length - k;
  return 0;
}

/** Stdin that arrives before the process does: queued, then written in order; the client's EOF kept. */
class InputQueue {
  private queued: Buffer[] = [];
  private ended = false;
  private target: Duplex | null = null;

  constructor(
    conn: RawConn,
    readonly enabled: boolean,
  ) {
    conn.input.on('data', (b: Buffer) => {
      if (!this.enabled) return;
      if (this.target) this.target.write(b);
      else this.queued.push(b);
    });
    conn.input.once('end', () => {
      if (!this.enabled) return;
      if (this.target) this.target.end();
      else this.ended = true;
    });
    conn.input.resume();
  }

  connect(target: Duplex): void {
    if (!this.enabled) return;
    this.target = target;
    for (const b of this.queued.splice(0)) target.write(b);
    if (this.ended) target.end();
  }
}

export const attachRoutes: Route[] = [route('POST', '/containers/{id}/attach', attach, { action: 'containers.attach', hijack: true })];
