import type { Engine } from '@berth/runtime/engine';
import type { Db } from '../db/client.ts';
import { createDockerodeEngine } from './dockerode-engine.ts';
import { dockerOptionsFor, type EndpointRecord } from './endpoint-url.ts';

/** Engines for the remote endpoints in the Endpoint table, one dockerode client each, built on first use. */
export class RemoteEngines {
  private readonly cache = new Map<string, Engine>();

  constructor(private readonly db: Db, private readonly create: (e: EndpointRecord) => Engine = (e) => createDockerodeEngine(dockerOptionsFor(e))) {}

  async get(id: string): Promise<{ engine: Engine; endpoint: EndpointRecord } | null> {
    const endpoint = await this.db.endpoint.findUnique({ where: { id } });
    if (!endpoint) return null;
    let engine = this.cache.get(id);
    if (!engine) {
      engine = this.create(endpoint);
      this.cache.set(id, engine);
    }
    return { engine, endpoint };
  }

  /** After an endpoint is edited or removed, the next call builds a fresh client. */
  forget(id: string): void {
    this.cache.delete(id);
  }
}
