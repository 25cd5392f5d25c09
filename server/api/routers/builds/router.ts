import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { writeAudit } from '../../../audit/audit-log.ts';
import { ndjson } from '../../../engine/streams.ts';
import { operatorProcedure, protectedProcedure, router, type Context } from '../../trpc.ts';
import { call, engineOf, toTrpcError } from '../engine-context.ts';
import { composeContext } from './context-store.ts';
import { errorLine } from './dockerfile-lines.ts';

/** The editor's Dockerfile travels in the context under this name, so an uploaded Dockerfile is not overwritten. */
export const EDITOR_DOCKERFILE = '.berth.Dockerfile';

export const buildInput = z.object({
  dockerfile: z.string().min(1, 'The Dockerfile is empty.').max(1024 * 1024),
  contextId: z.string().uuid().optional(),
  tag: z
    .string()
    .trim()
    .max(255)
    .regex(/^$|^[a-z0-9][a-z0-9._\-/:]*$/, 'A tag like myapp:1 or 127.0.0.1:5000/myapp:latest (lower-case).')
    .default(''),
  target: z.string().trim().max(128).regex(/^[A-Za-z0-9_.-]*$/, 'A stage name.').default(''),
  buildArgs: z
    .array(z.object({ key: z.string().trim().min(1).max(255).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Build arg names are like NAME_1.'), value: z.string().max(8192) }))
    .max(100)
    .default([]),
  noCache: z.boolean().default(false),
  /** Lets the page match history rows to its run; any unique string. */
  clientId: z.string().max(64).default(''),
});

/** What the page receives: every engine line with the milliseconds since the build started. */
export type BuildEvent =
  | { kind: 'started'; buildId: string }
  | { kind: 'stream'; at: number; text: string }
  | { kind: 'aux'; at: number; id: string }
  | { kind: 'error'; at: number; message: string; line: number | null }
  | { kind: 'done'; at: number; imageId: string | null };

interface BuildLine {
  stream?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string };
}

async function audit(ctx: Context, target: string, error: string | null): Promise<void> {
  const u = ctx.session!.user;
  await writeAudit(ctx.services.db, { actor: { type: 'user', id: u.id, name: u.username }, action: 'builds.run', target, result: error ? 'failure' : 'success', error, ip: ctx.ip });
}

export const buildsRouter = router({
  /**
   * Runs a build and streams its output. Unsubscribing (the page's Cancel) aborts the signal, which
   * destroys the engine's build stream: the builder stops at once and the run is recorded as cancelled.
   */
  run: operatorProcedure.input(buildInput).subscription(async function* ({ ctx, input, signal }): AsyncGenerator<BuildEvent> {
    const engine = await engineOf(ctx);
    const user = ctx.session.user;
    const id = randomUUID();
    const started = Date.now();
    const at = () => Date.now() - started;
    await ctx.services.db.build.create({ data: { id, userName: user.username, result: 'running', tag: input.tag || null, dockerfile: input.dockerfile } });
    yield { kind: 'started', buildId: id };
    let imageId: string | null = null;
    let error: string | null = null;
    let line: number | null = null;
    let step: number | null = null;
    let ctxFiles: ReturnType<typeof composeContext> | null = null;
    try {
      ctxFiles = composeContext(ctx.services.config.root, user.id, input.contextId, EDITOR_DOCKERFILE, input.dockerfile);
      const files = ctxFiles;
      const stream: Readable = await call(() =>
        engine.buildImage(files.stream, {
          dockerfile: EDITOR_DOCKERFILE,
          t: input.tag || undefined,
          target: input.target || undefined,
          nocache: input.noCache,
          buildargs: Object.fromEntries(input.buildArgs.map((a) => [a.key, a.value])),
          rm: true,
        }),
      );
      for await (const l of ndjson<BuildLine>(stream, signal)) {
        if (l.stream !== undefined) {
          const m = /^Step (\d+)\/\d+ :/.exec(l.stream);
          if (m) step = Number(m[1]);
          yield { kind: 'stream', at: at(), text: l.stream };
        } else if (l.aux?.ID) {
          imageId = l.aux.ID;
          yield { kind: 'aux', at: at(), id: l.aux.ID };
        } else if (l.errorDetail || l.error) {
          error = l.errorDetail?.message ?? l.error ?? 'build failed';
          line = errorLine(error, input.dockerfile, step);
          yield { kind: 'error', at: at(), message: error, line };
        }
      }
      if (signal?.aborted && !error) error = 'cancelled';
      if (!error) yield { kind: 'done', at: at(), imageId };
    } catch (err) {
      // Bad options and parse errors reject before any stream: show them the same way as a stream error.
      error = toTrpcError(err).message;
      line = errorLine(error, input.dockerfile, step);
      if (!signal?.aborted) yield { kind: 'error', at: at(), message: error, line };
    } finally {
      ctxFiles?.cleanup();
      const result = error === 'cancelled' || signal?.aborted ? 'cancelled' : error ? 'failed' : 'succeeded';
      await ctx.services.db.build
        .update({ where: { id }, data: { result, finishedAt: new Date(), durationMs: Date.now() - started, imageId, error: result === 'failed' ? error : null, errorLine: result === 'failed' ? line : null } })
        .catch(() => undefined);
      await audit(ctx, input.tag || id, result === 'succeeded' ? null : (error ?? result)).catch(() => undefined);
    }
  }),

  history: protectedProcedure.input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 })).query(({ ctx, input }) =>
    ctx.services.db.build.findMany({
      orderBy: { startedAt: 'desc' },
      take: input.limit,
      select: { id: true, userName: true, startedAt: true, durationMs: true, result: true, imageId: true, tag: true, error: true, errorLine: true },
    }),
  ),

  get: protectedProcedure.input(z.object({ id: z.string().uuid() })).query(({ ctx, input }) => ctx.services.db.build.findUnique({ where: { id: input.id } })),
});
