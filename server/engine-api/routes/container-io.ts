// Container streams: logs, stats, export, and the archive endpoints behind `docker cp`.
import { Readable } from 'node:stream';
import type { PathStat } from '@berth/runtime/engine';
import { route, type Ctx, type Route } from '../context.ts';
import { ApiError } from '../errors.ts';
import { engineHeaders, sendEmpty, sendJson } from '../http.ts';
import { RAW_STREAM, sendBody, streamResponse } from '../streams.ts';

function id(ctx: Ctx): string {
  return ctx.params['id']!;
}

/** Unix seconds, or an RFC3339 time as the CLI may send; "0"/absent = no bound. */
function timeArg(v: string | undefined): string | number | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

async function logs(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const stdout = q.bool('stdout') ?? false;
  const stderr = q.bool('stderr') ?? false;
  if (!stdout && !stderr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
  const tailRaw = q.str('tail');
  const tail = tailRaw === undefined || tailRaw === '' || tailRaw === 'all' ? undefined : Number(tailRaw);
  if (tail !== undefined && !Number.isInteger(tail)) throw new ApiError(400, `invalid tail: ${tailRaw}`);
  const follow = q.bool('follow') ?? false;
  const opts = {
    stdout,
    stderr,
    since: timeArg(q.str('since')),
    until: timeArg(q.str('until')),
    timestamps: q.bool('timestamps') ?? false,
    ...(tail !== undefined && tail >= 0 ? { tail } : {}),
  };
  const c = ctx.engine.getContainer(id(ctx));
  // API 1.41 labels logs raw-stream whatever the TTY; the framing is decided by the container's Tty.
  const body = follow ? await c.logs({ ...opts, follow: true }) : await c.logs({ ...opts, follow: false });
  await sendBody(ctx.res, body, RAW_STREAM);
}

async function stats(ctx: Ctx): Promise<void> {
  const stream = ctx.query.bool('stream') ?? true;
  const oneShot = ctx.query.bool('one-shot') ?? false;
  const c = ctx.engine.getContainer(id(ctx));
  if (!stream || oneShot) {
    sendJson(ctx.res, 200, await c.stats({ stream: false, 'one-shot': oneShot }));
    return;
  }
  await streamResponse(ctx.res, await c.stats({ stream: true }), 'application/json');
}

async function exportContainer(ctx: Ctx): Promise<void> {
  await streamResponse(ctx.res, await ctx.engine.getContainer(id(ctx)).export(), 'application/x-tar');
}

function requirePath(ctx: Ctx): string {
  const p = ctx.query.str('path');
  if (!p) throw new ApiError(400, 'Bad parameter: path cannot be empty');
  return p;
}

function statHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

async function archiveHead(ctx: Ctx): Promise<void> {
  const stat = await ctx.engine.getContainer(id(ctx)).infoArchive({ path: requirePath(ctx) });
  ctx.res.writeHead(200, { ...engineHeaders(), 'Content-Type': 'application/json', 'X-Docker-Container-Path-Stat': statHeader(stat) });
  ctx.res.end();
}

async function archiveGet(ctx: Ctx): Promise<void> {
  const c = ctx.engine.getContainer(id(ctx));
  const p = requirePath(ctx);
  const tar = (await c.getArchive({ path: p })) as Readable & { pathStat?: PathStat };
  const stat = tar.pathStat ?? (await c.infoArchive({ path: p }));
  await streamResponse(ctx.res, tar, 'application/x-tar', { 'X-Docker-Container-Path-Stat': statHeader(stat) });
}

async function archivePut(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  await ctx.engine.getContainer(id(ctx)).putArchive(ctx.req, {
    path: requirePath(ctx),
    noOverwriteDirNonDir: q.bool('noOverwriteDirNonDir') ?? false,
    copyUIDGID: q.bool('copyUIDGID') ?? false,
  });
  sendEmpty(ctx.res, 200);
}

export const containerIoRoutes: Route[] = [
  route('GET', '/containers/{id}/logs', logs),
  route('GET', '/containers/{id}/stats', stats),
  route('GET', '/containers/{id}/export', exportContainer),
  route('HEAD', '/containers/{id}/archive', archiveHead),
  route('GET', '/containers/{id}/archive', archiveGet),
  route('PUT', '/containers/{id}/archive', archivePut, { action: 'containers.archive.put' }),
];
