// The layer inspector is a feature of the embedded engine (it reads committed snapshots on disk), so
// routers reach it only when the request's endpoint is this machine's Berth.
import type { IncomingMessage } from 'node:http';
import { TRPCError } from '@trpc/server';
import type { Berth } from '@berth/runtime';
import type { Analyzer } from '@berth/runtime/analysis';
import type { Engine } from '@berth/runtime/engine';
import { endpointIdOf } from './endpoint-choice.ts';
import { LOCAL_ENDPOINT, type EngineHub } from './hub.ts';

export const NEEDS_EMBEDDED = 'layer analysis needs the embedded engine';

function isBerth(engine: Engine | null): engine is Engine & Pick<Berth, 'analyzer'> {
  return !!engine && typeof (engine as Partial<Berth>).analyzer === 'function';
}

/** The embedded engine's Analyzer, or PRECONDITION_FAILED when the request targets a remote endpoint. */
export async function analyzerFor(hub: EngineHub, req: IncomingMessage | null): Promise<Analyzer> {
  const id = endpointIdOf(req);
  const resolved = await hub.resolve(id);
  const local = hub.local();
  if (!resolved.ok || resolved.endpoint.id !== LOCAL_ENDPOINT || !isBerth(local)) {
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: NEEDS_EMBEDDED });
  }
  return local.analyzer();
}

export function analyzerOf(ctx: { services: { engines: EngineHub }; req: IncomingMessage | null }): Promise<Analyzer> {
  return analyzerFor(ctx.services.engines, ctx.req);
}
