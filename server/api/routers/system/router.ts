import type { Info } from '@berth/runtime/engine';
import { protectedProcedure, router } from '../../trpc.ts';

export const systemRouter = router({
  /** The embedded engine's state and, when it runs, Docker's `info`. */
  status: protectedProcedure.query(async ({ ctx }) => {
    const hub = ctx.services.engines;
    const engine = hub.local();
    const embedded = hub.embeddedState();
    if (!engine) return { embedded, info: null as Info | null };
    try {
      return { embedded, info: await engine.info() };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      hub.markFailed(message);
      return { embedded: hub.embeddedState(), info: null as Info | null };
    }
  }),
});
