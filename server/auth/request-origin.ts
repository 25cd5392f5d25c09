import type { IncomingMessage } from 'node:http';

/**
 * Cross-site request check for state-changing requests and websocket upgrades.
 * A browser always sends Origin on these; it must name this very host. Requests without
 * Origin come from non-browser clients, which carry no ambient cookies from another site.
 */
export function isSameOrigin(req: IncomingMessage): boolean {
  const host = req.headers.host;
  const origin = req.headers.origin;
  if (origin === undefined) {
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }
  if (!host || origin === 'null') return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The client address, as the socket sees it (no proxy headers are trusted). */
export function clientIp(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? 'unknown';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
