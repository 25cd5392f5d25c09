import type { ServerConfig } from './config.ts';
import type { Db } from './db/client.ts';
import type { LoginThrottle } from './auth/throttle.ts';
import type { SetupToken } from './auth/setup-token.ts';
import type { EngineHub } from './engine/hub.ts';
import type { LogIndexService } from './logs-index/service.ts';
import type { AlertEngine } from './alerts/engine.ts';

/** Long-lived things the request context hands to procedures. */
export interface Services {
  config: ServerConfig;
  db: Db;
  throttle: LoginThrottle;
  setupToken: SetupToken;
  engines: EngineHub;
  /** The log indexer and search (embedded engine only; absent without it). */
  logs?: LogIndexService;
  /** The alerts engine (embedded engine only). */
  alerts?: AlertEngine;
}
