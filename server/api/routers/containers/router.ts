import type { ContainerStats, ContainerSummary, EngineEvent } from '@berth/runtime/engine';
import { AsyncQueue, sleep } from '../../../engine/async-queue.ts';
import { dockerRunCommand } from '../../../engine/docker-run-command.ts';
import { logBatches } from '../../../engine/log-batches.ts';
import { summarizeStats, type StatsPoint } from '../../../engine/stats-summary.ts';
import { ndjson } from '../../../engine/streams.ts';
import { operatorProcedure, protectedProcedure, router } from '../../trpc.ts';
import { call, callIdempotent, engineOf } from '../engine-context.ts';
import { createBody, updateOptions } from './create-body.ts';
import { anonymousVolumes, formOf } from './form-of.ts';
import { limitsError } from './limit-errors.ts';
import { assertMayAddDevices, assertMayCreatePrivileged } from './privileged.ts';
import { recreateContainer } from './recreate.ts';
import { updateImage } from '../updates/router.ts';
import {
  createInput,
  idInput,
  killInput,
  listInput,
  logsInput,
  recreateInput,
  removeInput,
  statsManyInput,
  stopInput,
  topInput,
  updateInput,
} from './schemas.ts';

const listFilters = (label?: string) => (label ? { label: [label] } : undefined);

/** Live container lists: the list once, then again after every burst of container events. */
async function* watchContainers(
  engine: Awaited<ReturnType<typeof engineOf>>,
  opts: { all: boolean; label?: string },
  signal: AbortSignal | undefined,
): AsyncGenerator<ContainerSummary[]> {
  const events = await call(() => engine.getEvents({ filters: { type: ['container'] } }));
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
    yield await call(() => engine.listContainers({ all: opts.all, filters: listFilters(opts.label) }));
    for (;;) {
      const r = await queue.next();
      if (r.done || signal?.aborted) return;
      // A bulk action fires many events; answer the burst with one list.
      await sleep(120, signal);
      queue.drain();
      if (signal?.aborted) return;
      yield await call(() => engine.listContainers({ all: opts.all, filters: listFilters(opts.label) }));
    }
  } finally {
    events.destroy();
  }
}

async function* statsOf(engine: Awaited<ReturnType<typeof engineOf>>, id: string, signal: AbortSignal | undefined): AsyncGenerator<StatsPoint> {
  const stream = await call(() => engine.getContainer(id).stats({ stream: true }));
  for await (const s of ndjson<ContainerStats>(stream, signal)) yield summarizeStats(s);
}

export const containersRouter = router({
  updateImage,
  list: protectedProcedure.input(listInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => engine.listContainers({ all: input.all, filters: listFilters(input.label) }));
  }),

  /** The list, pushed again whenever a container event happens. No polling. */
  watchList: protectedProcedure.input(listInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    yield* watchContainers(engine, input, signal);
  }),

  inspect: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => engine.getContainer(input.id).inspect({ size: false }));
  }),

  /** The container's inspect document again after each of its events (state, limits, health). */
  watch: protectedProcedure.input(idInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const c = engine.getContainer(input.id);
    const first = await call(() => c.inspect());
    yield first;
    const events = await call(() => engine.getEvents({ filters: { type: ['container'], container: [first.Id] } }));
    for await (const e of ndjson<EngineEvent>(events, signal)) {
      if (e.Action === 'destroy') return;
      try {
        yield await c.inspect();
      } catch {
        return;
      }
    }
  }),

  /** An equivalent `docker run` command line. */
  dockerRun: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    const c = await call(() => engine.getContainer(input.id).inspect());
    const image = await engine
      .getImage(c.Image)
      .inspect()
      .catch(() => null);
    return { command: dockerRunCommand(c, image?.Config ?? {}) };
  }),

  /** Tags of local images, for the create form's image field. */
  imageChoices: protectedProcedure.query(async ({ ctx }) => {
    const engine = await engineOf(ctx);
    const images = await call(() => engine.listImages({}));
    return images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>')).sort();
  }),

  create: operatorProcedure.input(createInput).mutation(async ({ ctx, input }) => {
    assertMayCreatePrivileged(ctx.session.user.role, input.privileged);
    assertMayAddDevices(ctx.session.user.role, input.devices);
    const engine = await engineOf(ctx);
    ctx.audit.target = input.name || input.image;
    const handle = await call(() => engine.createContainer(createBody(input)));
    if (input.start) {
      try {
        await handle.start();
      } catch (err) {
        // Created but not started: say so, and keep the id so the page can open it.
        const e = err as { message?: string };
        return { id: handle.id, started: false, error: e.message ?? String(err) };
      }
    }
    return { id: handle.id, started: input.start, error: null as string | null };
  }),

  /** The create form's fields for an existing container: Duplicate and Edit start from these. */
  formOf: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    const c = await call(() => engine.getContainer(input.id).inspect());
    const image = await engine
      .getImage(c.Image)
      .inspect()
      .catch(() => null);
    return { form: formOf(c, image?.Config ?? {}), anonymousVolumes: anonymousVolumes(c) };
  }),

  /** Edit: a new container from the form under the old one's name, replacing it (see recreate.ts). */
  recreate: operatorProcedure.input(recreateInput).mutation(async ({ ctx, input }) => {
    assertMayCreatePrivileged(ctx.session.user.role, input.form.privileged);
    assertMayAddDevices(ctx.session.user.role, input.form.devices);
    const engine = await engineOf(ctx);
    ctx.audit.target = input.id;
    return call(() => recreateContainer(engine, input.id, createBody(input.form), input.form.start));
  }),

  start: operatorProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return callIdempotent(() => engine.getContainer(input.id).start());
  }),
  stop: operatorProcedure.input(stopInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return callIdempotent(() => engine.getContainer(input.id).stop(input.t === undefined ? {} : { t: input.t }));
  }),
  restart: operatorProcedure.input(stopInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return callIdempotent(() => engine.getContainer(input.id).restart(input.t === undefined ? {} : { t: input.t }));
  }),
  kill: operatorProcedure.input(killInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return callIdempotent(() => engine.getContainer(input.id).kill(input.signal ? { signal: input.signal } : {}));
  }),
  pause: operatorProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return callIdempotent(() => engine.getContainer(input.id).pause());
  }),
  unpause: operatorProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return callIdempotent(() => engine.getContainer(input.id).unpause());
  }),
  remove: operatorProcedure.input(removeInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    await call(() => engine.getContainer(input.id).remove({ force: input.force, v: input.volumes }));
    return { removed: true };
  }),

  /** Live resource limits (`docker update`). */
  update: operatorProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    try {
      const res = await engine.getContainer(input.id).update(updateOptions(input));
      return { warnings: res?.Warnings ?? [] };
    } catch (e) {
      throw limitsError(e);
    }
  }),

  top: protectedProcedure.input(topInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => engine.getContainer(input.id).top(input.psArgs ? { ps_args: input.psArgs } : {}));
  }),

  /** `top` again every 2 s while the Processes tab is open: the engine has no process stream to follow. */
  topStream: protectedProcedure.input(topInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const c = engine.getContainer(input.id);
    while (!signal?.aborted) {
      yield await call(() => c.top(input.psArgs ? { ps_args: input.psArgs } : {}));
      await sleep(2000, signal);
    }
  }),

  changes: protectedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return (await call(() => engine.getContainer(input.id).changes())) ?? [];
  }),

  /** Log lines as they are written, in batches; `tail` and `since` choose where to start. */
  logs: protectedProcedure.input(logsInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const c = engine.getContainer(input.id);
    const info = await call(() => c.inspect());
    const stream = await call(() =>
      c.logs({
        follow: true,
        stdout: input.stdout,
        stderr: input.stderr,
        timestamps: input.timestamps,
        tail: input.tail,
        since: input.since,
      }),
    );
    yield* logBatches(stream, { tty: info.Config.Tty, signal });
  }),

  /** One container's resource usage, once per engine sample (about a second). */
  stats: protectedProcedure.input(idInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    yield* statsOf(engine, input.id, signal);
  }),

  /** Many containers' usage over one subscription (the list's sparklines). */
  statsMany: protectedProcedure.input(statsManyInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const queue = new AsyncQueue<{ id: string; point: StatsPoint }>();
    let open = input.ids.length;
    if (!open) return;
    for (const id of input.ids) {
      void (async () => {
        try {
          for await (const point of statsOf(engine, id, signal)) queue.push({ id, point });
        } catch {
          // A container that stopped or vanished just stops sending.
        } finally {
          if (--open === 0) queue.end();
        }
      })();
    }
    yield* queue.until(signal);
  }),
});
