import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { LoginThrottle } from '../auth/throttle.ts';
import type { SetupToken } from '../auth/setup-token.ts';
import type { EngineHub } from '../engine/hub.ts';

/** Long-lived things the request context hands to procedures. */
export interface Services {
  config: ServerConfig;
  db: Db;
  throttle: LoginThrottle;
  setupToken: SetupToken;
  engines: EngineHub;
}
