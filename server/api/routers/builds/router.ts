import { randomUUID } from 'node:crypto';
import type { BuildRecord, BuildRecordStream } from '@berth/runtime/engine';
import { z } from 'zod';
import { writeAudit } from '../../../audit/audit-log.ts';
import { operatorProcedure, protectedProcedure, router, type Context } from '../../trpc.ts';
import { call, engineOf, toTrpcError } from '../engine-context.ts';
import { composeContext } from '../../../builds/context-store.ts';

/** The editor's Dockerfile travels in the context under this name, so an uploaded Dockerfile is not overwritten. */
export const EDITOR_DOCKERFILE = '.berth.Dockerfile';
/** The editor's Dockerfile travels under an internal name; the user knows it as "Dockerfile". */
export const userFacing = (text: string): string => text.split(EDITOR_DOCKERFILE).join('Dockerfile');

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

/**
 * What the page receives: the engine's build records as they are, each with the milliseconds since the
 * build started. A failure is the `error` record (with its Dockerfile line when the engine knows it).
 */
export type BuildEvent = { kind: 'started'; buildId: string } | { kind: 'record'; at: number; record: BuildRecord } | { kind: 'done'; at: number; imageId: string | null };

/** A record with the editor copy's internal file name replaced by the name the user knows. */
function forPage(r: BuildRecord): BuildRecord {
  if (r.type === 'error') return { ...r, message: userFacing(r.message), file: userFacing(r.file) };
  if (r.type === 'output' || r.type === 'warning') return { ...r, text: userFacing(r.text) };
  return r;
}

/** The records of a build, ending early (and destroying the build) when `signal` aborts. */
async function* recordsOf(records: BuildRecordStream, signal: AbortSignal | undefined): AsyncGenerator<BuildRecord> {
  const stop = () => records.destroy();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const r of records) yield r;
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
    records.destroy();
  }
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
    let ctxFiles: ReturnType<typeof composeContext> | null = null;
    try {
      ctxFiles = composeContext(ctx.services.config.root, user.id, input.contextId, EDITOR_DOCKERFILE, input.dockerfile);
      const files = ctxFiles;
      const records = await call(() =>
        engine.buildImageRecords(files.stream, {
          dockerfile: EDITOR_DOCKERFILE,
          t: input.tag || undefined,
          target: input.target || undefined,
          nocache: input.noCache,
          buildargs: Object.fromEntries(input.buildArgs.map((a) => [a.key, a.value])),
          rm: true,
        }),
      );
      for await (const raw of recordsOf(records, signal)) {
        const record = forPage(raw);
        if (record.type === 'built') imageId = record.imageId;
        if (record.type === 'error') {
          error = record.message;
          line = record.location?.line || null;
        }
        yield { kind: 'record', at: at(), record };
      }
      if (signal?.aborted && !error) error = 'cancelled';
      if (!error) yield { kind: 'done', at: at(), imageId };
    } catch (err) {
      // Bad options reject before any record: show them the same way as an error record.
      error = userFacing(toTrpcError(err).message);
      if (!signal?.aborted) yield { kind: 'record', at: at(), record: { type: 'error', message: error, step: null, file: 'Dockerfile', location: null } };
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
