import fs from 'node:fs';
import type { ServerConfig } from './config.ts';
import { isLoopbackHost } from './config.ts';
import { createDb } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { SetupToken } from './auth/setup-token.ts';
import type { Services } from './services.ts';
import { Berth } from '@berth/runtime';
import { EngineHub } from './engine/hub.ts';
import { RemoteEngines } from './engine/remote-engines.ts';
import { readOutbound, readUserns } from './settings/store.ts';

/**
 * Prepares the data root and database (migrations first), and builds the long-lived services. The engine
 * reads Settings → Outbound network access and User namespaces once, when it is created (so: at start).
 */
export async function bootstrap(config: ServerConfig): Promise<Services> {
  fs.mkdirSync(config.root, { recursive: true, mode: 0o700 });
  migrate(config.databaseFile);
  fs.chmodSync(config.databaseFile, 0o600);
  const db = createDb(config.databaseFile);
  const outbound = (await readOutbound(db)).enabled;
  const userns = (await readUserns(db))?.mode;
  return {
    config,
    db,
    throttle: new LoginThrottle(),
    setupToken: new SetupToken(!isLoopbackHost(config.host)),
    engines: new EngineHub({
      isRoot: process.getuid?.() === 0,
      createEmbedded: () =>
        new Berth({
          root: config.root,
          run: config.run,
          cgroupParent: config.cgroupParent,
          outbound,
          userns,
        }),
      remotes: new RemoteEngines(db),
    }),
  };
}
