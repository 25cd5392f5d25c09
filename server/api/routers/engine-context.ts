// How a procedure gets its Engine (the endpoint chosen in the header's switcher) and how engine
// errors become tRPC errors with the engine's own message.
import type { IncomingMessage } from 'node:http';
import { TRPCError } from '@trpc/server';
import type { Engine } from '@berth/runtime/engine';
import { endpointIdOf } from '../../engine/endpoint-choice.ts';
import { engineFailureOf } from '../../engine/engine-error.ts';
import type { EngineHub } from '../../engine/hub.ts';

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

/** Keeps the engine's message and maps its status to a tRPC code. */
export function toTrpcError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  const { status, message } = engineFailureOf(err);
  return new TRPCError({ code: CODES[status] ?? 'INTERNAL_SERVER_ERROR', message, cause: err });
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
