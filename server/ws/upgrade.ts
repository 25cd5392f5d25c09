import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { cutMessage, liveCredentials } from '../auth/live-credentials.ts';
import { checkRequestSite, sitePolicyOf } from '../auth/request-origin.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import type { ActiveSession } from '../auth/sessions.ts';
import { resolveRequestSession } from '../auth/tokens-request.ts';
import type { Services } from '../services.ts';

export interface WsRoute {
  /** The least role that may open this socket. */
  role: Role;
  onConnection(ws: WebSocket, req: IncomingMessage, session: ActiveSession): void;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Handles upgrades on /ws/*: same-origin check, session cookie, role. Other upgrade paths
 * (Next's HMR socket in development) go to `fallback`.
 */
export function createUpgradeHandler(
  services: Services,
  routes: Record<string, WsRoute>,
  fallback: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null,
) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  return async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const pathname = new URL(req.url ?? '/', 'http://berth.invalid').pathname;
    if (!pathname.startsWith('/ws/')) {
      if (fallback) return fallback(req, socket, head);
      return refuse(socket, 404, 'Not Found');
    }
    try {
      const site = checkRequestSite(req, sitePolicyOf(services.config));
      if (!site.ok) return refuse(socket, site.status, site.status === 421 ? 'Misdirected Request' : 'Forbidden');
      const session = await resolveRequestSession(services.db, req);
      if (!session) return refuse(socket, 401, 'Unauthorized');
      const route = routes[pathname];
      if (!route) return refuse(socket, 404, 'Not Found');
      if (!hasRole(session.user.role, route.role)) return refuse(socket, 403, 'Forbidden');
      wss.handleUpgrade(req, socket, head, (ws) => {
        // 1008 (policy violation) with the reason, so the client knows why and does not just retry.
        const untrack = liveCredentials.track(session, (reason) => ws.close(1008, cutMessage(reason)));
        ws.once('close', untrack);
        route.onConnection(ws, req, session);
      });
    } catch (err) {
      console.error('websocket upgrade failed:', err);
      refuse(socket, 500, 'Internal Server Error');
    }
  };
}
