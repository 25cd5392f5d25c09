// Which endpoint a request is for: the header's switcher sets a cookie (pages, SSE, websockets); scripts
// send a header. Used by tRPC, the streamed routes and the websockets alike.
import type { IncomingMessage } from 'node:http';
import { readCookie } from '../auth/cookies.ts';

export const ENDPOINT_COOKIE = 'berth_endpoint';
export const ENDPOINT_HEADER = 'x-berth-endpoint';

export function endpointIdOf(req: IncomingMessage | null): string | undefined {
  if (!req) return undefined;
  const header = req.headers[ENDPOINT_HEADER];
  const value = (Array.isArray(header) ? header[0] : header) ?? readCookie(req, ENDPOINT_COOKIE);
  return value && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : undefined;
}
