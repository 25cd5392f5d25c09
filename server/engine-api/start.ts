// The Engine API next to the dashboard (`npm start`) or alone (`npm run engine`), from the server's
// services: the embedded engine, the audit log, and the settings in config.ts.
import type { Services } from '../services.ts';
import { dbAuditSink } from './audit.ts';
import { loadEngineApiConfig } from './config.ts';
import { startEngineApi, type EngineApiServer } from './server.ts';

/** Starts it unless BERTH_ENGINE_API=0 or the embedded engine is off (no root); null then. */
export async function startEngineApiFor(services: Services, env: Record<string, string | undefined> = process.env): Promise<EngineApiServer | null> {
  const cfg = loadEngineApiConfig({ ...env, BERTH_RUN: services.config.run });
  if (!cfg.enabled) return null;
  if (services.engines.embeddedState().state === 'needs-root') return null;
  return startEngineApi({
    engine: () => services.engines.local(),
    unavailable: () => {
      const s = services.engines.embeddedState();
      return 'message' in s ? s.message : 'the embedded engine is not available';
    },
    socketPath: cfg.socketPath,
    tcp: cfg.tcp,
    audit: dbAuditSink(services.db),
    log: (m) => console.error(m),
  });
}
