// tRPC for stacks (Compose applications). Viewers read; operators and admins change. The engine is the
// endpoint chosen in the switcher; Berth keeps the files under $BERTH_ROOT/stacks (the embedded engine)
// or $BERTH_ROOT/endpoints/<id>/stacks (a remote one).
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { Stacks, StackError, type StackEvent, type StackIssue } from '@berth/runtime/stacks';
import { writeAudit } from '../../../audit/audit-log.ts';
import { AsyncQueue } from '../../../engine/async-queue.ts';
import { LOCAL_ENDPOINT } from '../../../engine/hub.ts';
import { ndjson } from '../../../engine/streams.ts';
import { adminProcedure, operatorProcedure, protectedProcedure, router, type Context } from '../../trpc.ts';
import type { EngineEvent } from '@berth/runtime/engine';
import { call, engineOf, toTrpcError } from '../engine-context.ts';
import { endpointIdOf } from '../../../engine/endpoint-choice.ts';
import { mayBindMount, mayUseDevices, operatorsMayBindMount, setOperatorsMayBindMount } from './access.ts';
import { stageDraft, takeDraft } from './drafts.ts';
import { readLogPage } from './log-page.ts';
import { mergedLogs } from './merged-logs.ts';
import { updateStackImages } from '../updates/router.ts';
import { bindSetting, deployInput, downInput, eventsInput, logPageInput, logsInput, nameInput, planInput, rollbackInput, scaleInput, stageInput, validateInput, versionInput } from './schemas.ts';

async function stacksOf(ctx: Context): Promise<Stacks> {
  const r = await ctx.services.engines.resolve(endpointIdOf(ctx.req));
  if (!r.ok) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: r.message });
  const local = r.endpoint.id === LOCAL_ENDPOINT;
  const root = local ? path.join(ctx.services.config.root, 'stacks') : path.join(ctx.services.config.root, 'endpoints', r.endpoint.id, 'stacks');
  return new Stacks({ engine: r.engine, root, local });
}

const STATUS: Record<number, TRPCError['code']> = { 400: 'BAD_REQUEST', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT' };

/** StackErrors keep their status; their issues are in the message, one per line. */
function asTrpc(err: unknown): TRPCError {
  if (err instanceof StackError) return new TRPCError({ code: STATUS[err.statusCode] ?? 'BAD_REQUEST', message: err.message, cause: err });
  return toTrpcError(err);
}

async function run<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asTrpc(err);
  }
}

/** What a deploy subscription sends: the engine's progress, then `finished` or `failed` (with issues). */
export type DeployEvent = (StackEvent | { type: 'failed'; message: string; issues: StackIssue[] } | { type: 'finished'; version: number }) & { at: number };

async function audit(ctx: Context, action: string, target: string, error: string | null): Promise<void> {
  const u = ctx.session!.user;
  await writeAudit(ctx.services.db, { actor: { type: 'user', id: u.id, name: u.username }, action, target, result: error ? 'failure' : 'success', error, ip: ctx.ip }).catch(() => undefined);
}

/** Runs a deploy (or rollback) and streams its events; the subscription ends after the last one. */
async function* deployStream(ctx: Context, action: string, name: string, start: (emit: (e: StackEvent) => void, signal: AbortSignal | undefined) => Promise<{ version: number }>, signal: AbortSignal | undefined): AsyncGenerator<DeployEvent> {
  const t0 = Date.now();
  const queue = new AsyncQueue<DeployEvent>();
  let error: string | null = null;
  void start((e) => queue.push({ ...e, at: Date.now() - t0 }), signal).then(
    (r) => {
      queue.push({ type: 'finished', version: r.version, at: Date.now() - t0 });
      queue.end();
    },
    (err: unknown) => {
      error = err instanceof Error ? err.message : String(err);
      const issues = err instanceof StackError ? err.issues : [{ file: '', line: 0, col: 0, path: '', message: asTrpc(err).message }];
      queue.push({ type: 'failed', message: asTrpc(err).message, issues, at: Date.now() - t0 });
      queue.end();
    },
  );
  try {
    for (;;) {
      const r = await queue.next();
      if (r.done) break;
      yield r.value;
    }
  } finally {
    await audit(ctx, action, name, signal?.aborted && !error ? 'cancelled' : error);
  }
}

export const stacksRouter = router({
  updateImages: updateStackImages,
  /** Every stack: deployed through Berth, or found by the compose labels (a CLI made it). */
  list: protectedProcedure.query(async ({ ctx }) => run(async () => (await stacksOf(ctx)).list())),

  get: protectedProcedure.input(nameInput).query(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).get(input.name))),

  /** Loads files without deploying: every problem with file, line and column; warnings for unsupported keys. */
  validate: protectedProcedure.input(validateInput).query(async ({ ctx, input }) => {
    const stacks = await stacksOf(ctx);
    try {
      const p = stacks.load(input);
      return {
        ok: true as const,
        issues: [] as StackIssue[],
        warnings: p.warnings,
        services: Object.values(p.services).map((s) => ({ name: s.name, image: s.image ?? null, build: !!s.build, replicas: s.replicas, ports: s.ports, dependsOn: s.dependsOn })),
        disabledServices: p.disabledServices,
        networks: Object.values(p.networks).map((n) => n.name),
        volumes: Object.values(p.volumes).map((v) => v.name),
      };
    } catch (err) {
      if (!(err instanceof StackError)) throw asTrpc(err);
      return { ok: false as const, issues: err.issues, warnings: [] as string[], services: [], disabledServices: [] as string[], networks: [] as string[], volumes: [] as string[] };
    }
  }),

  /** What a deploy of these files would change: services to create, recreate, scale or leave; orphans. */
  plan: protectedProcedure.input(planInput).query(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).plan(input))),

  /** Posts files too large for a subscription's URL; `deploy({ name, stagedId })` uses them. */
  stage: operatorProcedure.input(stageInput).mutation(async ({ ctx, input }) => {
    const stacks = await stacksOf(ctx);
    await run(() => stacks.load(input));
    return { stagedId: stageDraft(ctx.session.user.id, input) };
  }),

  /** Deploys (validate, record a version, converge), streaming progress per service. */
  deploy: operatorProcedure.input(deployInput).subscription(async function* ({ ctx, input, signal }) {
    const stacks = await stacksOf(ctx);
    const files = 'stagedId' in input ? takeDraft(ctx.session.user.id, input.stagedId, input.name) : input;
    if (!files) throw new TRPCError({ code: 'NOT_FOUND', message: 'The staged files are gone (used, expired, or not yours); stage them again.' });
    const allowHostBinds = await mayBindMount(ctx.services.db, ctx.session.user.role);
    const user = ctx.session.user.username;
    const allowDevices = mayUseDevices(ctx.session.user.role);
    yield* deployStream(ctx, 'stacks.deploy', input.name, (emit, sig) => stacks.deploy({ ...files, name: input.name, removeOrphans: input.removeOrphans, note: input.note, allowHostBinds, allowDevices, user, signal: sig }, emit), signal);
  }),

  /** Deploys an earlier version's files again, as a new version. */
  rollback: operatorProcedure.input(rollbackInput).subscription(async function* ({ ctx, input, signal }) {
    const stacks = await stacksOf(ctx);
    const allowHostBinds = await mayBindMount(ctx.services.db, ctx.session.user.role);
    const user = ctx.session.user.username;
    const allowDevices = mayUseDevices(ctx.session.user.role);
    yield* deployStream(ctx, 'stacks.rollback', input.name, (emit, sig) => stacks.rollback({ name: input.name, version: input.version, removeOrphans: input.removeOrphans, allowHostBinds, allowDevices, user, signal: sig }, emit), signal);
  }),

  stop: operatorProcedure.input(nameInput).mutation(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).stop(input.name))),
  start: operatorProcedure.input(nameInput).mutation(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).start(input.name))),
  restart: operatorProcedure.input(nameInput).mutation(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).restart(input.name))),
  /** Removes containers and networks; with volumes, the stack's named volumes too. The files stay. */
  down: operatorProcedure.input(downInput).mutation(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).down(input.name, { volumes: input.volumes }))),
  /** Down with volumes, and forget the stack's files and history. */
  remove: operatorProcedure.input(nameInput).mutation(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).remove(input.name))),
  scale: operatorProcedure.input(scaleInput).mutation(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).scale(input.name, input.service, input.replicas))),
  pull: operatorProcedure.input(nameInput).mutation(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).pull(input.name))),

  /**
   * Merged logs of the stack's containers (or some services), in batches tagged with service and
   * container; following, containers that start later (scale up, recreate) are attached too.
   */
  logs: protectedProcedure.input(logsInput).subscription(async function* ({ ctx, input, signal }) {
    const stacks = await stacksOf(ctx);
    const engine = await engineOf(ctx);
    const targets = await run(() => stacks.logTargets(input.name, input.services));
    yield* mergedLogs(engine, targets, { project: input.name, services: input.services, tail: input.tail, timestamps: input.timestamps, follow: input.follow, since: input.since, signal });
  }),

  /** One page of the merged logs, newest first from a cursor (the view opens on the last page, older ones on scroll). */
  logPage: protectedProcedure.input(logPageInput).query(async ({ ctx, input }) => {
    const stacks = await stacksOf(ctx);
    const engine = await engineOf(ctx);
    const targets = await run(() => stacks.logTargets(input.name, input.services));
    return readLogPage(engine, targets, { before: input.before, limit: input.limit });
  }),

  /** The engine's events of the stack's containers, networks and volumes (by the project label), from `sinceSeconds` ago on. */
  events: protectedProcedure.input(eventsInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const since = Math.floor(Date.now() / 1000) - input.sinceSeconds;
    const stream = await call(() => engine.getEvents({ since, filters: { label: [`com.docker.compose.project=${input.name}`] } }));
    try {
      for await (const e of ndjson<EngineEvent>(stream, signal)) yield e;
    } finally {
      stream.destroy();
    }
  }),

  /** Every deploy of the stack, newest first, with its result. */
  versions: protectedProcedure.input(nameInput).query(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).versions(input.name))),
  /** The files of one version (to show or diff before a rollback). */
  version: protectedProcedure.input(versionInput).query(async ({ ctx, input }) => run(async () => (await stacksOf(ctx)).versionContent(input.name, input.version))),

  /** Whether operators may bind-mount host paths in stacks (admins always may). */
  bindMountSetting: protectedProcedure.query(async ({ ctx }) => ({ operatorsMayBindMount: await operatorsMayBindMount(ctx.services.db) })),
  setBindMountSetting: adminProcedure.input(bindSetting).mutation(async ({ ctx, input }) => {
    await setOperatorsMayBindMount(ctx.services.db, input.operatorsMayBindMount);
    return input;
  }),
});
