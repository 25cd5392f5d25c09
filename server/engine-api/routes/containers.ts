// /containers/*: list, create, inspect, the lifecycle calls, rename, update, prune, remove, commit.
import { z } from 'zod';
import { ContainerCreateBodySchema, ResourceLimitsSchema, RestartPolicySchema, type ContainerCreateBody } from '@berth/runtime/engine';
import { attachesDrained } from '../attachments.ts';
import { route, type Ctx, type Route } from '../context.ts';
import { ApiError } from '../errors.ts';
import { parseFilters } from '../filters.ts';
import { engineHeaders, parseWith, readJsonBody, sendEmpty, sendJson } from '../http.ts';

const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'] as const;
const UpdateSchema = ResourceLimitsSchema.extend({ RestartPolicy: RestartPolicySchema.optional() });
const CommitConfigSchema = z.looseObject({}).nullable().optional();

function id(ctx: Ctx): string {
  return ctx.params['id']!;
}

async function list(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const rows = await ctx.engine.listContainers({
    all: q.bool('all') ?? false,
    limit: q.int('limit'),
    size: q.bool('size') ?? false,
    filters: parseFilters(q.str('filters')),
  });
  sendJson(ctx.res, 200, rows);
}

async function create(ctx: Ctx): Promise<void> {
  const body = parseWith(ContainerCreateBodySchema, (await readJsonBody(ctx.req)) ?? {});
  const name = ctx.query.str('name');
  const c = await ctx.engine.createContainer({ ...(body as ContainerCreateBody), ...(name ? { name } : {}) });
  ctx.audit.target = name ? `${name} (${c.id})` : c.id;
  const warnings = (c as { warnings?: unknown }).warnings;
  sendJson(ctx.res, 201, { Id: c.id, Warnings: Array.isArray(warnings) ? warnings : [] });
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.getContainer(id(ctx)).inspect({ size: ctx.query.bool('size') ?? false }));
}

async function start(ctx: Ctx): Promise<void> {
  await ctx.engine.getContainer(id(ctx)).start();
  sendEmpty(ctx.res, 204);
}

async function stop(ctx: Ctx): Promise<void> {
  const signal = ctx.query.str('signal');
  await ctx.engine.getContainer(id(ctx)).stop({ t: ctx.query.int('t'), ...(signal ? { signal } : {}) });
  sendEmpty(ctx.res, 204);
}

async function restart(ctx: Ctx): Promise<void> {
  await ctx.engine.getContainer(id(ctx)).restart({ t: ctx.query.int('t') });
  sendEmpty(ctx.res, 204);
}

async function kill(ctx: Ctx): Promise<void> {
  const signal = ctx.query.str('signal');
  await ctx.engine.getContainer(id(ctx)).kill(signal ? { signal } : {});
  sendEmpty(ctx.res, 204);
}

async function pause(ctx: Ctx): Promise<void> {
  await ctx.engine.getContainer(id(ctx)).pause();
  sendEmpty(ctx.res, 204);
}

async function unpause(ctx: Ctx): Promise<void> {
  await ctx.engine.getContainer(id(ctx)).unpause();
  sendEmpty(ctx.res, 204);
}

/**
 * As dockerd (API ≥ 1.30): the headers go out at once, so the client knows the wait is registered
 * before it starts the container; the body follows at the exit, once attached output has gone out.
 */
async function wait(ctx: Ctx): Promise<void> {
  const condition = ctx.query.str('condition') || 'not-running';
  if (!(WAIT_CONDITIONS as readonly string[]).includes(condition)) throw new ApiError(400, `invalid condition: "${condition}"`);
  const c = ctx.engine.getContainer(id(ctx));
  const info = await c.inspect(); // a missing container is a plain 404, before the headers
  const waited = c.wait({ condition: condition as (typeof WAIT_CONDITIONS)[number] });
  ctx.res.writeHead(200, { ...engineHeaders(), 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  try {
    const r = await waited;
    await attachesDrained(ctx.engine, info.Id);
    ctx.res.end(JSON.stringify(r) + '\n');
  } catch (e) {
    ctx.res.end(JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } }) + '\n');
  }
}

async function rename(ctx: Ctx): Promise<void> {
  const name = ctx.query.str('name');
  if (!name) throw new ApiError(400, 'name is required');
  await ctx.engine.getContainer(id(ctx)).rename({ name });
  sendEmpty(ctx.res, 204);
}

async function update(ctx: Ctx): Promise<void> {
  const body = parseWith(UpdateSchema, (await readJsonBody(ctx.req)) ?? {});
  const r = await ctx.engine.getContainer(id(ctx)).update(body as Parameters<ReturnType<Ctx['engine']['getContainer']>['update']>[0]);
  sendJson(ctx.res, 200, { Warnings: r?.Warnings ?? [] });
}

async function remove(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  await ctx.engine.getContainer(id(ctx)).remove({ force: q.bool('force') ?? false, v: q.bool('v') ?? false, link: q.bool('link') ?? false });
  sendEmpty(ctx.res, 204);
}

async function prune(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.pruneContainers({ filters: parseFilters(ctx.query.str('filters')) }));
}

async function top(ctx: Ctx): Promise<void> {
  const psArgs = ctx.query.str('ps_args');
  sendJson(ctx.res, 200, await ctx.engine.getContainer(id(ctx)).top(psArgs ? { ps_args: psArgs } : {}));
}

async function changes(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.getContainer(id(ctx)).changes());
}

async function resize(ctx: Ctx): Promise<void> {
  const h = ctx.query.int('h') ?? 0;
  const w = ctx.query.int('w') ?? 0;
  await ctx.engine.getContainer(id(ctx)).resize({ h, w });
  sendEmpty(ctx.res, 200);
}

/** POST /commit?container=…&repo=…&tag=…&comment=…&author=…&pause=…&changes=… with the config as body. */
async function commit(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const container = q.str('container');
  if (!container) throw new ApiError(400, 'container is required');
  const config = parseWith(CommitConfigSchema, await readJsonBody(ctx.req));
  const changes = q.all('changes').filter(Boolean);
  const r = await ctx.engine.getContainer(container).commit({
    repo: q.str('repo') || undefined,
    tag: q.str('tag') || undefined,
    comment: q.str('comment') || undefined,
    author: q.str('author') || undefined,
    pause: q.bool('pause') ?? true,
    ...(changes.length ? { changes } : {}),
    ...(config ? { config: config as Record<string, unknown> } : {}),
  });
  ctx.audit.target = `${container} → ${q.str('repo') ?? ''}${q.str('tag') ? ':' + q.str('tag') : ''}`;
  sendJson(ctx.res, 201, { Id: r.Id });
}

export const containerRoutes: Route[] = [
  route('GET', '/containers/json', list),
  route('POST', '/containers/create', create, { action: 'containers.create' }),
  route('POST', '/containers/prune', prune, { action: 'containers.prune' }),
  route('GET', '/containers/{id}/json', inspect),
  route('POST', '/containers/{id}/start', start, { action: 'containers.start' }),
  route('POST', '/containers/{id}/stop', stop, { action: 'containers.stop' }),
  route('POST', '/containers/{id}/restart', restart, { action: 'containers.restart' }),
  route('POST', '/containers/{id}/kill', kill, { action: 'containers.kill' }),
  route('POST', '/containers/{id}/pause', pause, { action: 'containers.pause' }),
  route('POST', '/containers/{id}/unpause', unpause, { action: 'containers.unpause' }),
  route('POST', '/containers/{id}/wait', wait),
  route('POST', '/containers/{id}/rename', rename, { action: 'containers.rename' }),
  route('POST', '/containers/{id}/update', update, { action: 'containers.update' }),
  route('POST', '/containers/{id}/resize', resize),
  route('GET', '/containers/{id}/top', top),
  route('GET', '/containers/{id}/changes', changes),
  route('DELETE', '/containers/{id}', remove, { action: 'containers.remove' }),
  route('POST', '/commit', commit, { action: 'containers.commit' }),
];
