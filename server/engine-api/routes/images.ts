// /images/*: list, pull (fromImage) and import (fromSrc), inspect, history, tag, remove, push, save,
// load, prune.
import type { Readable } from 'node:stream';
import { route, type Ctx, type Route } from '../context.ts';
import { ApiError } from '../errors.ts';
import { parseFilters } from '../filters.ts';
import { sendJson, sendEmpty } from '../http.ts';
import { decodeRegistryAuth } from '../registry-auth.ts';
import { streamResponse } from '../streams.ts';
import { compareVersions } from '../versions.ts';

function name(ctx: Ctx): string {
  return ctx.params['name']!;
}

async function list(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  let filters = parseFilters(q.str('filters'));
  // Before API 1.41 `docker images REF` sent `filter=REF`; dockerd 20.10 reads it as a reference filter.
  const legacyRef = q.str('filter');
  if (legacyRef && compareVersions(ctx.version, '1.41') < 0) filters = { ...filters, reference: [...((filters?.['reference'] as string[] | undefined) ?? []), legacyRef] };
  sendJson(ctx.res, 200, await ctx.engine.listImages({ all: q.bool('all') ?? false, digests: q.bool('digests') ?? false, filters }));
}

/** fromImage + tag → one reference; a tag that is a digest makes `name@digest`. */
export function pullReference(fromImage: string, tag: string | undefined): string {
  if (!tag) return fromImage;
  return /^[a-z0-9]+:[a-f0-9]{32,}$/i.test(tag) ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
}

async function create(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const fromImage = q.str('fromImage');
  const fromSrc = q.str('fromSrc');
  if (fromImage) {
    const ref = pullReference(fromImage, q.str('tag'));
    ctx.audit.target = ref;
    const platform = q.str('platform');
    const authconfig = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    // 403 (registry not allowed) and 404 reject here, before any header: the CLI prints them as is.
    const progress = await ctx.engine.pull(ref, { ...(authconfig ? { authconfig } : {}), ...(platform ? { platform } : {}) });
    await streamResponse(ctx.res, progress, 'application/json');
    return;
  }
  if (fromSrc) {
    // A URL would make the engine fetch from anywhere; Berth imports only what the client sends.
    if (fromSrc !== '-') throw new ApiError(501, 'importing from a URL is not supported by Berth; send the tar as the request body (docker import - < file.tar)');
    const repo = q.str('repo');
    ctx.audit.action = 'images.import';
    ctx.audit.target = repo;
    const changes = q.all('changes').filter(Boolean);
    const progress = await ctx.engine.importImage(ctx.req, {
      ...(repo ? { repo } : {}),
      ...(q.str('tag') ? { tag: q.str('tag') } : {}),
      ...(changes.length ? { changes } : {}),
      ...(q.str('message') ? { message: q.str('message') } : {}),
    });
    await streamResponse(ctx.res, progress, 'application/json');
    return;
  }
  throw new ApiError(400, 'fromImage or fromSrc is required');
}

async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.getImage(name(ctx)).inspect());
}

async function history(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.getImage(name(ctx)).history());
}

async function tag(ctx: Ctx): Promise<void> {
  const repo = ctx.query.str('repo');
  if (!repo) throw new ApiError(400, 'repository name must have at least one component');
  const t = ctx.query.str('tag');
  ctx.audit.target = `${name(ctx)} → ${repo}${t ? ':' + t : ''}`;
  await ctx.engine.getImage(name(ctx)).tag({ repo, ...(t ? { tag: t } : {}) });
  sendEmpty(ctx.res, 201);
}

async function remove(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  sendJson(ctx.res, 200, await ctx.engine.getImage(name(ctx)).remove({ force: q.bool('force') ?? false, noprune: q.bool('noprune') ?? false }));
}

async function push(ctx: Ctx): Promise<void> {
  const t = ctx.query.str('tag');
  const authconfig = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  ctx.audit.target = `${name(ctx)}${t ? ':' + t : ''}`;
  const progress = await ctx.engine.getImage(name(ctx)).push({ ...(t ? { tag: t } : {}), ...(authconfig ? { authconfig } : {}) });
  await streamResponse(ctx.res, progress, 'application/json');
}

async function saveOne(ctx: Ctx): Promise<void> {
  await streamResponse(ctx.res, await ctx.engine.getImage(name(ctx)).get(), 'application/x-tar');
}

/** GET /images/get?names=a&names=b: one tar for several images (Berth's getImages, as dockerode's). */
async function saveMany(ctx: Ctx): Promise<void> {
  const names = ctx.query.all('names').filter(Boolean);
  if (!names.length) throw new ApiError(400, 'no images to save');
  const multi = (ctx.engine as { getImages?: (o: { names: string[] }) => Promise<Readable> }).getImages;
  let tar: Readable;
  if (multi) tar = await multi.call(ctx.engine, { names });
  else if (names.length === 1) tar = await ctx.engine.getImage(names[0]!).get();
  else throw new ApiError(501, 'this engine saves one image per request');
  await streamResponse(ctx.res, tar, 'application/x-tar');
}

async function load(ctx: Ctx): Promise<void> {
  const progress = await ctx.engine.loadImage(ctx.req, { quiet: ctx.query.bool('quiet') ?? false });
  await streamResponse(ctx.res, progress, 'application/json');
}

async function prune(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.pruneImages({ filters: parseFilters(ctx.query.str('filters')) }));
}

async function search(): Promise<void> {
  throw new ApiError(501, 'image search is not supported by Berth (it would query a registry index)');
}

export const imageRoutes: Route[] = [
  route('GET', '/images/json', list),
  route('POST', '/images/create', create, { action: 'images.pull' }),
  route('GET', '/images/get', saveMany),
  route('POST', '/images/load', load, { action: 'images.load' }),
  route('POST', '/images/prune', prune, { action: 'images.prune' }),
  route('GET', '/images/search', search),
  route('GET', '/images/{name+}/json', inspect),
  route('GET', '/images/{name+}/history', history),
  route('GET', '/images/{name+}/get', saveOne),
  route('POST', '/images/{name+}/tag', tag, { action: 'images.tag' }),
  route('POST', '/images/{name+}/push', push, { action: 'images.push' }),
  route('DELETE', '/images/{name+}', remove, { action: 'images.remove' }),
];
