// Dispatch: strip and check the /v1.xx/ prefix, find the route, run it with the Engine, turn errors into
// Docker's responses, and write the audit row of a mutating call once it has settled.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '@berth/runtime/engine';
import { watchOutcome, type AuditSink } from './audit.ts';
import type { Ctx, Route } from './context.ts';
import { ApiError, errorResponseBytes, sendError, toWireError } from './errors.ts';
import { hijacked } from './hijack.ts';
import { Query } from './http.ts';
import { attachRoutes } from './routes/attach.ts';
import { buildRoutes } from './routes/build.ts';
import { containerIoRoutes } from './routes/container-io.ts';
import { containerRoutes } from './routes/containers.ts';
import { distributionRoutes } from './routes/distribution.ts';
import { execRoutes } from './routes/exec.ts';
import { imageRoutes } from './routes/images.ts';
import { networkRoutes } from './routes/networks.ts';
import { pluginRoutes } from './routes/plugins.ts';
import { systemRoutes, unsupportedMessage } from './routes/system.ts';
import { volumeRoutes } from './routes/volumes.ts';
import { checkVersion, splitVersion } from './versions.ts';

export const ROUTES: Route[] = [
  ...systemRoutes,
  ...containerRoutes,
  ...containerIoRoutes,
  ...attachRoutes,
  ...execRoutes,
  ...imageRoutes,
  ...distributionRoutes,
  ...buildRoutes,
  ...volumeRoutes,
  ...networkRoutes,
  ...pluginRoutes,
];

/** BERTH_ENGINE_API_TRACE=1 logs every request's arrival and end (wall clock, ms) on stderr (debugging clients, latency). */
const TRACE = process.env['BERTH_ENGINE_API_TRACE'] === '1';
const clock = (): string => new Date().toISOString().slice(11, 23);

export interface DispatchOptions {
  /** The engine, or null while it is unavailable (then every call is a 500 saying why). */
  engine: () => Engine | null;
  unavailable?: () => string;
  audit?: AuditSink;
  onError?: (err: unknown) => void;
}

export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
    return { route: r, params };
  }
  return null;
}

export function createDispatcher(opts: DispatchOptions) {
  async function dispatch(req: IncomingMessage, res: ServerResponse, upgrade: Ctx['upgrade']): Promise<void> {
    if (TRACE) {
      const t0 = performance.now();
      console.error(`engine-api: ${clock()} > ${req.method} ${req.url}`);
      const done = () => console.error(`engine-api: ${clock()} < ${req.method} ${req.url} ${res.statusCode}${upgrade ? ' (upgraded)' : ''} ${(performance.now() - t0).toFixed(1)} ms`);
      (upgrade ? upgrade.socket : res).once('close', done);
    }
    const url = new URL(req.url ?? '/', 'http://engine');
    const method = req.method ?? 'GET';
    const { version, path, explicit } = splitVersion(url.pathname);
    const ctx: Partial<Ctx> & { audit: Ctx['audit'] } = { req, res, upgrade, audit: {} };
    let action: string | undefined;
    let outcome: ReturnType<typeof watchOutcome> | null = null;
    try {
      if (explicit) checkVersion(version);
      const unsupported = unsupportedMessage(path);
      if (unsupported) throw new ApiError(501, unsupported);
      const found = matchRoute(method, path);
      if (!found) throw new ApiError(404, 'page not found');
      action = found.route.action;
      if (action && opts.audit) outcome = watchOutcome(res);
      if (upgrade && !found.route.hijack) throw new ApiError(400, `${path} cannot be hijacked`);
      const engine = opts.engine();
      if (!engine) throw new ApiError(500, opts.unavailable?.() ?? 'the engine is not available');
      Object.assign(ctx, { engine, params: found.params, query: new Query(url.searchParams), version });
      await found.route.handler(ctx as Ctx);
      // A handler that returned may still have answered an error (status, error line, cut-off stream).
      const failed = outcome?.failure() ?? null;
      if (action) record(ctx as Ctx, ctx.audit.action ?? action, ctx.audit.failure ?? (failed === null ? null : new ApiError(res.statusCode >= 400 ? res.statusCode : 500, failed)));
    } catch (err) {
      if (hijacked.has(res)) {
        upgrade?.socket.destroy();
        if (!upgrade) res.destroy();
      } else if (upgrade && !upgrade.socket.destroyed) {
        upgrade.socket.end(errorResponseBytes(err).bytes);
      } else {
        sendError(res, err);
      }
      if (!(err instanceof ApiError) && toWireError(err).status >= 500) opts.onError?.(err);
      if (action) record(ctx as Ctx, ctx.audit.action ?? action, err);
    }
  }

  function record(ctx: Ctx, action: string, err: unknown): void {
    if (!opts.audit) return;
    const target = ctx.audit.target ?? ctx.params?.['id'] ?? ctx.params?.['name'] ?? null;
    const ip = ctx.req.socket.remoteAddress ?? null;
    opts
      .audit({ action, target, result: err ? 'failure' : 'success', error: err ? toWireError(err).message : null, ip })
      .catch((e: unknown) => opts.onError?.(e));
  }

  return {
    onRequest(req: IncomingMessage, res: ServerResponse): void {
      void dispatch(req, res, null);
    },
    /** Upgrade requests get a response object over the raw socket, so plain errors still go out as HTTP. */
    onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as import('node:net').Socket);
      res.once('finish', () => socket.end());
      void dispatch(req, res, { socket, head });
    },
  };
}
