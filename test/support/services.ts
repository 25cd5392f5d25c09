import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { LoginThrottle } from '../../server/auth/throttle.ts';
import { EngineHub } from '../../server/engine/hub.ts';
import { SetupToken } from '../../server/auth/setup-token.ts';
import type { Services } from '../../server/services.ts';
import type { ServerConfig } from '../../server/config.ts';
import { createDb } from '../../server/db/client.ts';
import { migrate } from '../../server/db/migrate.ts';

export interface TestServices extends Services {
  cleanup(): Promise<void>;
}

/** Real services over a migrated SQLite database in a fresh temporary root. */
export function createTestServices(overrides: Partial<ServerConfig> = {}): TestServices {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const config: ServerConfig = {
    host: '127.0.0.1',
    port: 0,
    root,
    run: path.join(root, 'run'),
    cgroupParent: `berth-test-${path.basename(root)}`,
    databaseFile: path.join(root, 'dashboard.db'),
    tls: null,
    dev: false,
    allowedHosts: [],
    ...overrides,
  };
  migrate(config.databaseFile);
  const db = createDb(config.databaseFile);
  return {
    config,
    db,
    throttle: new LoginThrottle(),
    setupToken: new SetupToken(false),
    engines: new EngineHub({ isRoot: false, createEmbedded: () => { throw new Error('no engine in this test'); } }),
    async cleanup() {
      await db.$disconnect();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
