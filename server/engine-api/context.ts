// What a route handler gets: the request, a response (also for upgraded requests: then it writes to the
// raw socket), the Engine, path parameters, the query and the negotiated API version.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '@berth/runtime/engine';
import type { Query } from './http.ts';

export interface UpgradeInfo {
  socket: Duplex;
  /** Bytes the HTTP parser read past the request head (the body, then early stdin). */
  head: Buffer;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** Set when the client asked to hijack the connection (`Connection: Upgrade`, `Upgrade: tcp`). */
  upgrade: UpgradeInfo | null;
  engine: Engine;
  params: Record<string, string>;
  query: Query;
  /** The API version of the request (the /v1.xx/ prefix, or the server's when there is none). */
  version: string;
  /** What the audit row names (the created container's id, say) and, when one route does two things, the action. */
  audit: { target?: string; action?: string; /** A failure reported in-band (after an upgrade), for the audit row. */ failure?: unknown };
}

export type Handler = (ctx: Ctx) => Promise<void>;

export interface RouteOptions {
  /** Audit action for a mutating call; absent for reads. */
  action?: string;
  /** The route serves hijacked (upgraded) connections too. */
  hijack?: boolean;
}

export interface Route extends RouteOptions {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/**
 * '/containers/{id}/start' → a route. `{name+}` matches across slashes (image names such as
 * localhost:5000/team/app); the rest match one segment.
 */
export function route(method: string, path: string, handler: Handler, opts: RouteOptions = {}): Route {
  const keys: string[] = [];
  const src = path.replace(/[.*?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\+?)\}/g, (_m, key: string, greedy: string) => {
    keys.push(key);
    return greedy ? '(.+)' : '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${src}/?$`), keys, handler, ...opts };
}
