// How a procedure gets its Engine (the endpoint chosen in the header's switcher) and how engine
// errors become tRPC errors with the engine's own message.
import type { IncomingMessage } from 'node:http';
import { TRPCError } from '@trpc/server';
import type { Engine } from '@berth/runtime/engine';
import { readCookie } from '../../auth/cookies.ts';
import type { EngineHub } from '../../engine/hub.ts';

/** The endpoint switcher's choice travels in this cookie (pages, SSE, websockets) or this header (scripts). */
export const ENDPOINT_COOKIE = 'berth_endpoint';
export const ENDPOINT_HEADER = 'x-berth-endpoint';

export function endpointIdOf(req: IncomingMessage | null): string | undefined {
  if (!req) return undefined;
  const header = req.headers[ENDPOINT_HEADER];
  const value = (Array.isArray(header) ? header[0] : header) ?? readCookie(req, ENDPOINT_COOKIE);
  return value && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : undefined;
}

export async function engineFor(hub: EngineHub, req: IncomingMessage | null): Promise<Engine> {
  const r = await hub.resolve(endpointIdOf(req));
  if (!r.ok) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: r.message });
  return r.engine;
}

export function engineOf(ctx: { services: { engines: EngineHub }; req: IncomingMessage | null }): Promise<Engine> {
  return engineFor(ctx.services.engines, ctx.req);
}

const CODES: Record<number, TRPCError['code']> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  501: 'NOT_IMPLEMENTED',
};

/** EngineError (embedded) and docker-modem errors (remote) carry statusCode: keep the message, map the code. */
export function toTrpcError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  const e = err as { statusCode?: number; message?: string; json?: { message?: string } | null };
  const message = e?.json?.message ?? e?.message ?? String(err);
  const code = typeof e?.statusCode === 'number' ? (CODES[e.statusCode] ?? 'INTERNAL_SERVER_ERROR') : 'INTERNAL_SERVER_ERROR';
  return new TRPCError({ code, message, cause: err });
}

export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toTrpcError(err);
  }
}

/** start/stop answer 304 when there is nothing to do; the dashboard treats that as done. */
export async function callIdempotent(fn: () => Promise<unknown>): Promise<{ changed: boolean }> {
  try {
    await fn();
    return { changed: true };
  } catch (err) {
    if ((err as { statusCode?: number })?.statusCode === 304) return { changed: false };
    throw toTrpcError(err);
  }
}
