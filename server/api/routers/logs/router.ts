// logs.*: search across every container's indexed log (removed ones included), histogram, context around
// a line, and a merged live tail. The index is local to the embedded engine (docs/logs.md).
import { TRPCError } from '@trpc/server';
import { LogSearch, type Result } from '../../../logs-index/search.ts';
import type { Services } from '../../../services.ts';
import { protectedProcedure, router } from '../../trpc.ts';
import { contextInput, histogramInput, searchInput, tailInput } from './schemas.ts';

const searches = new Map<string, LogSearch>();

/** The server's LogIndexService search, or a reader over the data root (tests, the engine-less server). */
export function logSearchOf(services: Services): LogSearch {
  if (services.logs) return services.logs.search;
  let s = searches.get(services.config.root);
  if (!s) searches.set(services.config.root, (s = new LogSearch(services.config.root)));
  return s;
}

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new TRPCError({ code: 'BAD_REQUEST', message: r.error });
  return r.value;
}

export const logsRouter = router({
  search: protectedProcedure.input(searchInput).query(({ ctx, input }) => {
    const { limit, cursor, ...f } = input;
    return unwrap(logSearchOf(ctx.services).search(f, limit, cursor));
  }),

  histogram: protectedProcedure.input(histogramInput).query(({ ctx, input }) => {
    const { buckets, ...f } = input;
    return unwrap(logSearchOf(ctx.services).histogram(f, buckets));
  }),

  context: protectedProcedure.input(contextInput).query(({ ctx, input }) => {
    return unwrap(logSearchOf(ctx.services).context(input.container, input.time, input.before, input.after));
  }),

  /** Containers with indexed logs, removed ones included (the page's filters). */
  containers: protectedProcedure.query(({ ctx }) => logSearchOf(ctx.services).containers()),

  /** New lines of the chosen containers or stack as the indexer commits them, merged in write order. */
  tail: protectedProcedure.input(tailInput).subscription(async function* ({ ctx, input, signal }) {
    const search = logSearchOf(ctx.services);
    // Validate the query once, before streaming.
    unwrap(search.search({ ...input }, 1));
    let last = search.lastId();
    while (!signal?.aborted) {
      const r = unwrap(search.newLines(input, last, 500));
      last = r.lastId;
      if (r.items.length) yield r.items;
      else await new Promise((res) => setTimeout(res, 300));
    }
  }),
});
