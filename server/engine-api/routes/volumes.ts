// /volumes*: list, create, inspect, remove, prune.
import { z } from 'zod';
import { route, type Ctx, type Route } from '../context.ts';
import { parseFilters } from '../filters.ts';
import { parseWith, readJsonBody, sendEmpty, sendJson } from '../http.ts';

const CreateSchema = z.looseObject({
  Name: z.string().optional(),
  Driver: z.string().optional(),
  DriverOpts: z.record(z.string(), z.string()).nullable().optional(),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
});

async function list(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.listVolumes({ filters: parseFilters(ctx.query.str('filters')) }));
}

async function create(ctx: Ctx): Promise<void> {
  const body = parseWith(CreateSchema, (await readJsonBody(ctx.req)) ?? {});
  const v = await ctx.engine.createVolume({
    ...(body.Name ? { Name: body.Name } : {}),
    ...(body.Driver ? { Driver: body.Driver } : {}),
    ...(body.DriverOpts && Object.keys(body.DriverOpts).length ? { DriverOpts: body.DriverOpts } : {}),
    ...(body.Labels ? { Labels: body.Labels } : {}),
  });
  ctx.audit.target = v.Name;
  sendJson(ctx.res, 201, v);
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.getVolume(ctx.params['name']!).inspect());
}

async function remove(ctx: Ctx): Promise<void> {
  await ctx.engine.getVolume(ctx.params['name']!).remove({ force: ctx.query.bool('force') ?? false });
  sendEmpty(ctx.res, 204);
}

async function prune(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.pruneVolumes({ filters: parseFilters(ctx.query.str('filters')) }));
}

export const volumeRoutes: Route[] = [
  route('GET', '/volumes', list),
  route('POST', '/volumes/create', create, { action: 'volumes.create' }),
  route('POST', '/volumes/prune', prune, { action: 'volumes.prune' }),
  route('GET', '/volumes/{name}', inspect),
  route('DELETE', '/volumes/{name}', remove, { action: 'volumes.remove' }),
];
