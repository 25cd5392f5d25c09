// POST /build: Docker's classic builder. The request body is the context tar (maybe compressed); the
// answer streams JSON lines ({stream}, {aux:{ID}}, {errorDetail}): Berth's builder reports structured
// records and `buildImage` renders them as dockerd does (native-runtime/src/builder/executor/render.ts).
// BuildKit (version=2, /session) is not served: the CLI then needs DOCKER_BUILDKIT=0, which /_ping's
// Builder-Version: 1 also tells it.
import type { BuildOptions } from '@berth/runtime/engine';
import { z } from 'zod';
import { route, type Ctx, type Route } from '../context.ts';
import { ApiError } from '../errors.ts';
import { parseWith, sendJson } from '../http.ts';
import { streamResponse } from '../streams.ts';

const StringMap = z.record(z.string(), z.string().nullable());

/** The query of /build as BuildOptions. */
export function buildOptions(ctx: Ctx): BuildOptions {
  const q = ctx.query;
  if (q.str('version') === '2') throw new ApiError(501, 'BuildKit is not supported by Berth; use the classic builder (DOCKER_BUILDKIT=0)');
  if (q.str('remote')) throw new ApiError(501, 'building from a remote context is not supported by Berth; send the context as the request body');
  const opts: BuildOptions = {};
  const tags = q.all('t').filter(Boolean);
  if (tags.length) opts.t = tags.length === 1 ? tags[0]! : tags;
  const dockerfile = q.str('dockerfile');
  if (dockerfile) opts.dockerfile = dockerfile;
  const args = parseWith(StringMap.optional(), q.json('buildargs'));
  if (args) {
    // A null value means "take it from the environment" in the CLI; there is none here.
    opts.buildargs = Object.fromEntries(Object.entries(args).filter((e): e is [string, string] => e[1] !== null));
  }
  const labels = parseWith(StringMap.optional(), q.json('labels'));
  if (labels) opts.labels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v ?? '']));
  for (const k of ['nocache', 'pull', 'rm', 'forcerm', 'q'] as const) {
    const v = q.bool(k);
    if (v !== undefined) opts[k] = v;
  }
  const target = q.str('target');
  if (target) opts.target = target;
  const networkmode = q.str('networkmode');
  if (networkmode) opts.networkmode = networkmode;
  const platform = q.str('platform');
  if (platform) opts.platform = platform;
  return opts;
}

async function build(ctx: Ctx): Promise<void> {
  const opts = buildOptions(ctx);
  ctx.audit.target = Array.isArray(opts.t) ? opts.t.join(',') : opts.t;
  const out = await ctx.engine.buildImage(ctx.req, opts);
  await streamResponse(ctx.res, out, 'application/json');
}

/** POST /build/prune: the classic builder's cache (Berth's pruneBuilder), in BuildKit's answer shape. */
async function prune(ctx: Ctx): Promise<void> {
  const e = ctx.engine as { pruneBuilder?: () => Promise<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }> };
  if (!e.pruneBuilder) throw new ApiError(501, 'this engine has no build cache to prune');
  const r = await e.pruneBuilder.call(ctx.engine);
  sendJson(ctx.res, 200, { CachesDeleted: r.CachesDeleted ?? [], SpaceReclaimed: r.SpaceReclaimed ?? 0 });
}

export const buildRoutes: Route[] = [
  route('POST', '/build', build, { action: 'images.build' }),
  route('POST', '/build/prune', prune, { action: 'images.build.prune' }),
];
