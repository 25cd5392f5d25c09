// A remote dockerd (or Podman) answers /build with the classic builder's text stream only. This reads
// that stream into the BuildRecords Berth's own builder emits, so the dashboard has one view of a build
// whatever the endpoint. Berth's engine never goes through here: its builder emits records directly.
// A remote engine does not say where a step is in the Dockerfile, so locations are null.
import { Readable } from 'node:stream';
import type { BuildRecord } from '@berth/runtime/engine';
import { ndjson } from './streams.ts';

interface ClassicMessage {
  stream?: string;
  status?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

// The classic builder's fixed phrases (moby builder/dockerfile), one message each.
const STEP = /^Step (\d+)\/(\d+) : (.*)\n$/s;
const RUNNING = /^ ---> Running in ([0-9a-f]+)\n$/;
const REMOVED = /^Removing intermediate container ([0-9a-f]+)\n$/;
const DONE = /^ ---> ([0-9a-f]*)\n$/;
const TAGGED = /^Successfully tagged (.+)\n$/;

/** Reads one classic message into records; `state.step` is the step running now (0 before the first). */
export function classicToRecords(m: ClassicMessage, state: { step: number }): BuildRecord[] {
  const index = state.step;
  if (m.errorDetail || m.error) {
    const message = m.errorDetail?.message ?? m.error ?? 'build failed';
    const code = m.errorDetail?.code;
    return [{ type: 'error', message, ...(code !== undefined ? { code } : {}), step: index || null, file: 'Dockerfile', location: null }];
  }
  if (m.aux?.ID) return [{ type: 'built', imageId: m.aux.ID }];
  if (m.status !== undefined) return [{ type: 'pull', index, progress: m as Record<string, unknown> }];
  const s = m.stream;
  if (s === undefined || s === '') return [];
  let x: RegExpExecArray | null;
  if ((x = STEP.exec(s))) {
    state.step = Number(x[1]);
    return [{ type: 'step', index: state.step, total: Number(x[2]), instruction: x[3]!, location: null }];
  }
  if (s === ' ---> Using cache\n') return [{ type: 'cache-hit', index }];
  if ((x = RUNNING.exec(s))) return [{ type: 'container', index, id: x[1]! }];
  if ((x = REMOVED.exec(s))) return [{ type: 'container-removed', index, id: x[1]! }];
  if ((x = DONE.exec(s))) return [{ type: 'step-done', index, imageId: x[1] || null }];
  if ((x = TAGGED.exec(s))) return [{ type: 'tagged', tag: x[1]! }];
  if (s.startsWith('Successfully built ')) return [];
  if (index === 0) return [{ type: 'warning', text: s.replace(/\n$/, '') }];
  return [{ type: 'output', index, text: s }];
}

/** A remote engine's /build stream as records (object mode); destroying the result destroys `stream`. */
export function classicBuildRecords(stream: Readable): Readable {
  const state = { step: 0 };
  async function* records(): AsyncGenerator<BuildRecord> {
    for await (const m of ndjson<ClassicMessage>(stream)) yield* classicToRecords(m, state);
  }
  const out = Readable.from(records());
  out.once('close', () => stream.destroy());
  return out;
}
