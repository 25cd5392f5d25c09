import type { Engine } from '@berth/runtime/engine';
import type { RemoteEngines } from './remote-engines.ts';

/** What the dashboard can say about the embedded engine without touching it. */
export type EmbeddedState =
  | { state: 'ready' }
  | { state: 'needs-root'; message: string }
  | { state: 'failed'; message: string };

export interface EngineHubOptions {
  /** False when the server runs without root: the embedded engine then stays off, the dashboard stays up. */
  isRoot: boolean;
  createEmbedded: () => Engine & { close?: () => Promise<void> };
  /** Remote Docker endpoints from the Endpoint table; absent in tests that need none. */
  remotes?: RemoteEngines;
}

/** The id of the embedded engine in the endpoint switcher. */
export const LOCAL_ENDPOINT = 'local';

export type ResolvedEngine =
  | { ok: true; engine: Engine; endpoint: { id: string; name: string } }
  | { ok: false; message: string; endpoint: { id: string; name: string } };

/**
 * Hands routers the Engine for an endpoint. The embedded engine is created on first use, so a
 * dashboard started without root still serves pages, accounts and remote endpoints.
 */
export class EngineHub {
  private embedded: (Engine & { close?: () => Promise<void> }) | null = null;
  private failure: string | null = null;

  constructor(private readonly opts: EngineHubOptions) {}

  get remotes(): RemoteEngines | undefined {
    return this.opts.remotes;
  }

  embeddedState(): EmbeddedState {
    if (!this.opts.isRoot) {
      return {
        state: 'needs-root',
        message: 'The embedded engine needs root (namespaces, cgroups and overlay mounts), as dockerd does. Restart Berth as root, or add a remote Docker endpoint.',
      };
    }
    if (this.failure) return { state: 'failed', message: this.failure };
    return { state: 'ready' };
  }

  /** The embedded engine, or null with the reason in embeddedState(). */
  local(): Engine | null {
    if (this.embeddedState().state !== 'ready') return null;
    if (!this.embedded) {
      try {
        this.embedded = this.opts.createEmbedded();
      } catch (err) {
        this.failure = err instanceof Error ? err.message : String(err);
        return null;
      }
    }
    return this.embedded;
  }

  /** The engine of an endpoint id (from the switcher); undefined or "local" is the embedded engine. */
  async resolve(id: string | undefined): Promise<ResolvedEngine> {
    if (id && id !== LOCAL_ENDPOINT && this.opts.remotes) {
      const remote = await this.opts.remotes.get(id);
      if (remote) return { ok: true, engine: remote.engine, endpoint: { id, name: remote.endpoint.name } };
      // A deleted endpoint in a stale cookie falls back to this machine.
    }
    const endpoint = { id: LOCAL_ENDPOINT, name: 'This machine' };
    const engine = this.local();
    if (engine) return { ok: true, engine, endpoint };
    const state = this.embeddedState();
    return { ok: false, endpoint, message: 'message' in state ? state.message : 'The embedded engine is not available.' };
  }

  /** Records a start-up failure (a locked root, say) so pages show it instead of failing one by one. */
  markFailed(message: string): void {
    this.failure = message;
  }

  async close(): Promise<void> {
    await this.embedded?.close?.();
    this.embedded = null;
  }
}
