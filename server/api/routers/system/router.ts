import type { Info } from '@berth/runtime/engine';
import { protectedProcedure, router } from '../../trpc.ts';
import { engineOf, toTrpcError } from '../engine-context.ts';
import { endpointIdOf } from '../../../engine/endpoint-choice.ts';
import { hostUsage } from './host-usage.ts';

/** A failing part of the Overview (volumes not built yet, say) shows its own message; the rest still shows. */
async function part<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, message: toTrpcError(err).message };
  }
}

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

  /** The Overview of the chosen endpoint: containers by state, images, volumes, host, disk use. */
  overview: protectedProcedure.query(async ({ ctx }) => {
    const resolved = await ctx.services.engines.resolve(endpointIdOf(ctx.req));
    if (!resolved.ok) return { endpoint: resolved.endpoint, unavailable: resolved.message, data: null };
    const engine = await engineOf(ctx);
    const [info, containers, df, volumes] = await Promise.all([
      part(() => engine.info()),
      part(() => engine.listContainers({ all: true })),
      part(() => engine.df()),
      part(() => engine.listVolumes()),
    ]);
    const byState: Record<string, number> = {};
    if (containers.ok) for (const c of containers.value) byState[c.State] = (byState[c.State] ?? 0) + 1;
    const disk = df.ok
      ? {
          images: df.value.LayersSize,
          containers: df.value.Containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0),
          volumes: (df.value.Volumes ?? []).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0),
          buildCache: (df.value.BuildCache ?? []).reduce((n, b) => n + b.Size, 0),
          imageCount: df.value.Images.length,
        }
      : null;
    return {
      endpoint: resolved.endpoint,
      unavailable: null,
      data: {
        info: info.ok ? info.value : null,
        infoError: info.ok ? null : info.message,
        byState,
        containersError: containers.ok ? null : containers.message,
        disk,
        diskError: df.ok ? null : df.message,
        volumeCount: volumes.ok ? (volumes.value.Volumes ?? []).length : null,
        volumesError: volumes.ok ? null : volumes.message,
      },
    };
  }),

  /** Live CPU and memory of the machine Berth runs on (embedded endpoint only). */
  hostUsage: protectedProcedure.subscription(async function* ({ signal }) {
    yield* hostUsage(2000, signal);
  }),
});
