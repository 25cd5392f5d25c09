import type { EngineEvent } from '@berth/runtime/engine';
import { z } from 'zod';
import { ndjson } from '../../../engine/streams.ts';
import { protectedProcedure, router } from '../../trpc.ts';
import { call, engineOf } from '../engine-context.ts';

const word = z.string().regex(/^[a-z_:-]{1,40}$/);

export const eventsInput = z
  .object({
    /** Replay from this many seconds ago before going live (0 = live only). */
    sinceSeconds: z.number().int().min(0).max(7 * 24 * 3600).default(0),
    types: z.array(word).max(12).default([]),
    actions: z.array(word).max(40).default([]),
    container: z.string().max(128).optional(),
  })
  .default({ sinceSeconds: 0, types: [], actions: [] });

export const eventsRouter = router({
  /** The engine's event stream (`docker events`), filtered on the engine by type, action and container. */
  stream: protectedProcedure.input(eventsInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const filters: Record<string, string[]> = {};
    if (input.types.length) filters['type'] = input.types;
    if (input.actions.length) filters['event'] = input.actions;
    if (input.container) filters['container'] = [input.container];
    const since = input.sinceSeconds ? Math.floor(Date.now() / 1000) - input.sinceSeconds : undefined;
    const stream = await call(() => engine.getEvents({ since, filters }));
    yield* ndjson<EngineEvent>(stream, signal);
  }),
});
