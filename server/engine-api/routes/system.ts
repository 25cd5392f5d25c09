// /_ping, /version, /info, /system/df, /events, and the calls Berth answers with a clear "not here".
import { z } from 'zod';
import { route, type Ctx, type Route } from '../context.ts';
import { parseFilters } from '../filters.ts';
import { engineHeaders, parseWith, readJsonBody, sendJson } from '../http.ts';
import { streamResponse } from '../streams.ts';

/** Builder-Version 1 makes the CLI use the classic /build (no BuildKit session). */
async function ping(ctx: Ctx): Promise<void> {
  await ctx.engine.ping();
  ctx.res.writeHead(200, {
    ...engineHeaders(),
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': '2',
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
}

async function version(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.version());
}

async function info(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.info());
}

async function df(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.df());
}

function timeArg(v: string | undefined): string | number | undefined {
  if (v === undefined || v === '') return undefined;
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

async function events(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const since = timeArg(q.str('since'));
  const until = timeArg(q.str('until'));
  const stream = await ctx.engine.getEvents({
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    filters: parseFilters(q.str('filters')),
  });
  await streamResponse(ctx.res, stream, 'application/json');
}

const AuthBodySchema = z.looseObject({
  username: z.string().optional(),
  password: z.string().optional(),
  auth: z.string().optional(),
  serveraddress: z.string().optional(),
  identitytoken: z.string().optional(),
  email: z.string().optional(),
});

/** `docker login`: the registry checks the credentials (as dockerd's loginV2); Berth stores nothing. */
async function auth(ctx: Ctx): Promise<void> {
  const body = parseWith(AuthBodySchema, (await readJsonBody(ctx.req)) ?? {});
  ctx.audit.target = `${body.username ?? ''}@${body.serveraddress || 'docker.io'}`;
  const r = await ctx.engine.checkAuth({
    ...(body.username ? { username: body.username } : {}),
    ...(body.password !== undefined ? { password: body.password } : {}),
    ...(body.auth ? { auth: body.auth } : {}),
    ...(body.serveraddress ? { serveraddress: body.serveraddress } : {}),
    ...(body.identitytoken ? { identitytoken: body.identitytoken } : {}),
  });
  // dockerd's key order (AuthenticateOKBody).
  sendJson(ctx.res, 200, { IdentityToken: r.IdentityToken ?? '', Status: r.Status });
}

/** Paths of Docker features Berth does not have: a clear answer instead of "page not found". */
const UNSUPPORTED: [RegExp, string][] = [
  [/^\/(swarm|nodes|services|tasks|secrets|configs)(\/|$)/, 'This node is not a swarm manager. Berth does not implement swarm mode; use an orchestrator for clusters.'],
  // Listing and inspecting plugins is served (routes/plugins.ts: none installed); installing one is not.
  [/^\/plugins\/(pull|create|privileges)\/?$/, 'plugins are not supported by Berth: it cannot install or run managed plugins'],
  [/^\/session(\/|$)/, 'BuildKit sessions are not supported by Berth; build with the classic builder (DOCKER_BUILDKIT=0)'],
  [/^\/grpc(\/|$)/, 'BuildKit (gRPC) is not supported by Berth; build with the classic builder (DOCKER_BUILDKIT=0)'],
  [/^\/containers\/[^/]+\/attach\/ws$/, 'attach over websocket is not supported by Berth; use the hijacked POST /containers/{id}/attach'],
  [/^\/containers\/[^/]+\/checkpoints(\/|$)/, 'checkpoints are not supported by Berth'],
];

export function unsupportedMessage(path: string): string | null {
  for (const [re, msg] of UNSUPPORTED) if (re.test(path)) return msg;
  return null;
}

export const systemRoutes: Route[] = [
  route('GET', '/_ping', ping),
  route('HEAD', '/_ping', ping),
  route('GET', '/version', version),
  route('GET', '/info', info),
  route('GET', '/system/df', df),
  route('GET', '/events', events),
  route('POST', '/auth', auth, { action: 'system.auth' }),
];
