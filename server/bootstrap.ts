import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { ServerConfig } from './config.ts';
import { isLoopbackHost } from './config.ts';
import { createDb } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { SetupToken } from './auth/setup-token.ts';
import type { Services } from './api/services.ts';
import { Berth } from '@berth/runtime';
import { EngineHub } from './engine/hub.ts';
import { RemoteEngines } from './engine/remote-engines.ts';
import { SETTING_KEYS } from './api/routers/settings/store.ts';

/** Settings → Outbound network access; the engine reads it once, when it is created (so: at start). */
function outboundEnabled(databaseFile: string): boolean {
  const db = new Database(databaseFile, { readonly: true });
  try {
    const row = db.prepare('SELECT value FROM "Setting" WHERE key = ?').get(SETTING_KEYS.outbound) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as { enabled?: unknown }).enabled === true : false;
  } finally {
    db.close();
  }
}

/** Settings → User namespaces, when an admin set it (else the engine follows BERTH_USERNS). */
function usernsDefault(databaseFile: string): 'host' | 'remap' | 'auto' | undefined {
  const db = new Database(databaseFile, { readonly: true });
  try {
    const row = db.prepare('SELECT value FROM "Setting" WHERE key = ?').get(SETTING_KEYS.userns) as { value: string } | undefined;
    const mode = row ? (JSON.parse(row.value) as { mode?: unknown }).mode : undefined;
    return mode === 'host' || mode === 'remap' || mode === 'auto' ? mode : undefined;
  } finally {
    db.close();
  }
}

/** Prepares the data root and database (migrations first), and builds the long-lived services. */
export function bootstrap(config: ServerConfig): Services {
  fs.mkdirSync(config.root, { recursive: true, mode: 0o700 });
  migrate(config.databaseFile);
  fs.chmodSync(config.databaseFile, 0o600);
  const db = createDb(config.databaseFile);
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
          outbound: outboundEnabled(config.databaseFile),
          userns: usernsDefault(config.databaseFile),
        }),
      remotes: new RemoteEngines(db),
    }),
  };
}
