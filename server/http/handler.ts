import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { resolvePageSession } from '../auth/tokens-request.ts';
import { handleOidcRoutes } from '../auth/oidc-routes.ts';
import { appRouter } from '../api/root.ts';
import type { Services } from '../services.ts';
import { createContext } from '../api/trpc.ts';
import { handleLogsDownload } from './logs-download.ts';
import { handleTransfers } from './image-transfer.ts';
import { decidePage, isAssetPath } from './page-guard.ts';
import { refuseForeignRequest } from './request-guard.ts';
import { setSecurityHeaders } from './security-headers.ts';

export type PageHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Names under public/, served to anyone (icons, robots.txt). */
export function listPublicFiles(dir: string): Set<string> {
  try {
    return new Set(fs.readdirSync(dir).map((f) => `/${f}`));
  } catch {
    return new Set();
  }
}

/**
 * The dashboard's HTTP entry: tRPC at /api/trpc, and pages through Next behind the page guard.
 * `pages` is null in tests that exercise only the API.
 */
export function createRequestHandler(services: Services, pages: PageHandler | null, publicDir = path.resolve('public')) {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/api/trpc/',
    createContext: ({ req, res }) => createContext(services, req, res),
    // Queries with large input (stacks.validate/plan of compose files) may be POSTed by a client link with methodOverride.
    allowMethodOverride: true,
    // A subscription answers over SSE with 200 before its procedure runs; refuse a missing session at the HTTP level too.
    responseMeta: ({ ctx, type }) => (type === 'subscription' && ctx && !ctx.session ? { status: 401 } : {}),
    onError({ error, path: procedure }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${procedure ?? '?'}:`, error.cause ?? error);
    },
  });
  const publicFiles = listPublicFiles(publicDir);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res, { dev: services.config.dev, tls: services.config.tls !== null });
    const url = new URL(req.url ?? '/', 'http://berth.invalid');
    // Every method: tRPC subscriptions (builds, pulls, pushes) and downloads are GETs.
    if (await refuseForeignRequest(services, req, res, url.pathname)) return;
    if (url.pathname === '/api/trpc' || url.pathname.startsWith('/api/trpc/')) return trpc(req, res);
    if (await handleTransfers(services, req, res, url.pathname)) return;
    if (await handleLogsDownload(services, req, res)) return;
    if (await handleOidcRoutes(services, req, res, url.pathname)) return;
    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/ws/')) {
      return sendJson(res, 404, { message: `No such endpoint: ${url.pathname}` });
    }
    if (!pages) return sendJson(res, 404, { message: 'Pages are not served by this instance.' });
    if (isAssetPath(url.pathname, publicFiles)) return pages(req, res);

    const needsSetup = (await services.db.user.count()) === 0;
    // Scoped: an operator on endpoint A who is viewer on B gets operator pages only while A is chosen.
    const session = needsSetup ? null : await resolvePageSession(services.db, req);
    const decision = decidePage(url.pathname, url.search, { needsSetup, role: session?.user.role ?? null });
    if (decision.kind === 'redirect') {
      res.writeHead(302, { Location: decision.location, 'Cache-Control': 'no-store' });
      return void res.end();
    }
    if (decision.kind === 'forbidden') {
      res.writeHead(302, { Location: `/forbidden?need=${decision.role}`, 'Cache-Control': 'no-store' });
      return void res.end();
    }
    res.setHeader('Cache-Control', 'no-store');
    return pages(req, res);
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
