import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import next from 'next';
import { loadConfig } from './config.ts';
import { bootstrap } from './bootstrap.ts';
import { createRequestHandler } from './http/handler.ts';
import { createUpgradeHandler } from './ws/upgrade.ts';
import { execTerminalRoute } from './ws/exec-terminal.ts';
import { purgeExpiredSessions } from './auth/sessions.ts';
import { startEngineApiFor } from './engine-api/start.ts';
import { startLogsAndAlerts, stopLogsAndAlerts } from './alerts/start.ts';
import { updatesOf } from './updates/service.ts';

const projectDir = path.resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
  const config = loadConfig();
  const services = await bootstrap(config);
  const engineState = services.engines.embeddedState();
  if (engineState.state !== 'ready') console.warn(`Embedded engine off: ${engineState.message}`);
  else services.engines.local();
  // Log index and alerts follow the embedded engine's containers (docs/logs.md, docs/alerts.md).
  updatesOf(services).start();
  await startLogsAndAlerts(services).catch((err: unknown) => console.error(`Logs and alerts off: ${err instanceof Error ? err.message : String(err)}`));

  const nextApp = next({ dev: config.dev, dir: projectDir, hostname: config.host, port: config.port });
  await nextApp.prepare();
  const handler = createRequestHandler(services, nextApp.getRequestHandler(), path.join(projectDir, 'public'));
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handler(req, res).catch((err: unknown) => {
      console.error('request failed:', err);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('Internal Server Error');
    });
  };
  const server = config.tls
    ? https.createServer({ cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key) }, onRequest)
    : http.createServer(onRequest);

  const nextUpgrade = config.dev ? nextApp.getUpgradeHandler() : null;
  const onUpgrade = createUpgradeHandler(services, { '/ws/exec': execTerminalRoute(services) }, nextUpgrade);
  server.on('upgrade', (req, socket, head) => void onUpgrade(req, socket, head));

  const sweep = setInterval(() => void purgeExpiredSessions(services.db).catch(() => undefined), 10 * 60 * 1000);
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const scheme = config.tls ? 'https' : 'http';
  console.log(`Berth dashboard on ${scheme}://${config.host}:${config.port} (data in ${config.root})`);
  // The Docker Engine API ($BERTH_RUN/berth.sock; BERTH_ENGINE_API=0 turns it off), over the same engine.
  const engineApi = await startEngineApiFor(services).catch((err: unknown) => {
    console.error(`Engine API off: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  });
  if (engineApi?.socketPath) console.log(`Docker Engine API on unix://${engineApi.socketPath}`);
  if ((await services.db.user.count()) === 0) {
    const local = services.setupToken.alwaysRequired ? '' : ` (a browser on this machine at ${scheme}://localhost:${config.port} needs none)`;
    console.log(`First run: the setup page asks for this one-time token${local}: ${services.setupToken.value}`);
  }

  const shutdown = () => {
    server.close();
    void engineApi?.close();
    void stopLogsAndAlerts(services).catch(() => undefined);
    // Containers keep running in their shims; only the engine's lock and watchers go.
    void services.engines.close().catch(() => undefined);
    void services.db.$disconnect().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error('Berth failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
