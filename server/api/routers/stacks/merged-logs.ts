// The live merged logs of a stack: one engine log stream per container, batched, tagged with service
// and container. With `follow`, the stack's container events are watched too, so a replica created
// after the view opened (a scale up, a recreate by a deploy or an update) is attached when it starts,
// and a container that restarts is attached again from where its last stream stopped.
import { Readable } from 'node:stream';
import type { Engine, EngineEvent } from '@berth/runtime/engine';
import { AsyncQueue } from '../../../engine/async-queue.ts';
import { logBatches } from '../../../engine/log-batches.ts';
import { ndjson } from '../../../engine/streams.ts';
import { keySeconds, timeKey, type LogTarget } from './log-page.ts';

export interface MergedBatch {
  service: string;
  container: string;
  text: string;
  streams: string;
  caughtUp?: true;
}

export interface MergedLogsOptions {
  project: string;
  /** Only these services (empty: all). */
  services: string[];
  tail: number | 'all';
  timestamps: boolean;
  follow: boolean;
  /** A time key: only lines from then on (the live part after a log page). */
  since?: string;
  signal?: AbortSignal;
}

const SERVICE = 'com.docker.compose.service';
const ONEOFF = 'com.docker.compose.oneoff';
const TS_PREFIX = /^\S+Z /;

/** Streams the merged logs of `targets`, and with `follow` of the project's containers that start later. */
export async function* mergedLogs(engine: Engine, targets: LogTarget[], opts: MergedLogsOptions): AsyncGenerator<MergedBatch> {
  const queue = new AsyncQueue<MergedBatch>();
  const attached = new Set<string>();
  /** The newest line's time key sent per container: a re-attach goes on after it. */
  const lastKey = new Map<string, string>();
  let open = 0;
  let watching = false;

  /** `after`: go on after a line already sent (exclusive); otherwise from `since` on (inclusive). */
  const attach = (t: LogTarget, since: string | undefined, after = false) => {
    if (attached.has(t.id) || opts.signal?.aborted) return;
    attached.add(t.id);
    open++;
    void (async () => {
      try {
        const c = engine.getContainer(t.id);
        const info = await c.inspect();
        // A bounded tail reads backwards and stops at `since`; "all" would read the whole log forwards.
        const tail = since !== undefined ? (opts.tail === 'all' ? 100_000 : opts.tail) : opts.tail;
        const o = { stdout: true, stderr: true, timestamps: true, tail, ...(since !== undefined ? { since: keySeconds(since) } : {}) };
        const stream = opts.follow ? await c.logs({ ...o, follow: true }) : Readable.from([await c.logs({ ...o, follow: false })]);
        for await (const b of logBatches(stream, { tty: info.Config.Tty, signal: opts.signal })) {
          let { text, streams } = b;
          if (streams.length) {
            let lines = text.split('\n');
            // `since` is inclusive (and whole seconds on some engines): drop what is older, and on a
            // re-attach what was sent before.
            if (since !== undefined && (after ? timeKey(lines[0]!) <= since : timeKey(lines[0]!) < since)) {
              const keep = lines.map((l) => (after ? timeKey(l) > since : timeKey(l) >= since));
              streams = [...streams].filter((_, i) => keep[i]).join('');
              lines = lines.filter((_, i) => keep[i]);
            }
            if (lines.length) lastKey.set(t.id, timeKey(lines[lines.length - 1]!));
            if (!opts.timestamps) lines = lines.map((l) => l.replace(TS_PREFIX, ''));
            text = lines.join('\n');
            if (!streams.length && !b.caughtUp) continue;
          }
          queue.push({ service: t.service, container: t.name, text, streams, ...(b.caughtUp ? { caughtUp: true as const } : {}) });
        }
      } catch {
        // A container removed meanwhile just stops sending.
      } finally {
        attached.delete(t.id);
        open--;
        // Still running (a restart raced the end of its stream): go on where it stopped.
        if (opts.follow && !opts.signal?.aborted) {
          const running = await engine
            .getContainer(t.id)
            .inspect()
            .then((i) => i.State.Running)
            .catch(() => false);
          const last = lastKey.get(t.id);
          if (running) attach(t, last ?? opts.since, last !== undefined);
        }
        if (open === 0 && !watching && !attached.size) queue.end();
      }
    })();
  };

  for (const t of targets) attach(t, opts.since);
  if (opts.follow) {
    watching = true;
    const since = Math.floor(Date.now() / 1000) - 1;
    const events = await engine.getEvents({ since, filters: { type: ['container'], event: ['start'], label: [`com.docker.compose.project=${opts.project}`] } });
    void (async () => {
      try {
        for await (const e of ndjson<EngineEvent>(events, opts.signal)) {
          const a = e.Actor.Attributes;
          const service = a[SERVICE];
          if (!service || a[ONEOFF] === 'True' || (opts.services.length && !opts.services.includes(service))) continue;
          const id = e.Actor.ID;
          // A new container: its whole log (it just started); one seen before: after its last line.
          const last = lastKey.get(id);
          attach({ id, service, name: a['name'] ?? id.slice(0, 12) }, last ?? (targets.some((t) => t.id === id) ? opts.since : undefined), last !== undefined);
        }
      } catch {
        // The events stream failed: the containers already attached go on.
      } finally {
        events.destroy();
      }
    })();
  } else if (!targets.length) queue.end();
  yield* queue.until(opts.signal);
}
