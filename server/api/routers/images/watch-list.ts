// A list pushed again after each burst of engine events of the given types: live without polling.
import type { Engine, EngineEvent } from '@berth/runtime/engine';
import { AsyncQueue, sleep } from '../../../engine/async-queue.ts';
import { ndjson } from '../../../engine/streams.ts';
import { call } from '../engine-context.ts';

export async function* watchList<T>(engine: Engine, types: string[], load: () => Promise<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  const events = await call(() => engine.getEvents({ filters: { type: types } }));
  const queue = new AsyncQueue<EngineEvent>();
  void (async () => {
    try {
      for await (const e of ndjson<EngineEvent>(events, signal)) queue.push(e);
      queue.end();
    } catch (err) {
      queue.end(err);
    }
  })();
  try {
    yield await load();
    for (;;) {
      const r = await queue.next();
      if (r.done || signal?.aborted) return;
      // A prune or a bulk action fires many events; answer the burst with one list.
      await sleep(150, signal);
      queue.drain();
      if (signal?.aborted) return;
      yield await load();
    }
  } finally {
    events.destroy();
  }
}
