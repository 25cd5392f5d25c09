// `npm run engine`: the Docker Engine API alone, without the web UI, for headless hosts. Same data root,
// same audit log, same engine as `npm start`; needs root for the embedded engine, as dockerd does.
import { loadConfig } from './config.ts';
import { bootstrap } from './bootstrap.ts';
import { startEngineApiFor } from './engine-api/start.ts';

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the embedded engine needs root (namespaces, cgroups, overlay mounts); run `sudo npm run engine`');
  const config = loadConfig();
  const services = await bootstrap(config);
  const engine = services.engines.local();
  if (!engine) {
    const s = services.engines.embeddedState();
    throw new Error('message' in s ? s.message : 'the embedded engine is not available');
  }
  await engine.ping(); // takes the data root's lock now, so a second writer fails here and not on first use
  const api = await startEngineApiFor(services, { ...process.env, BERTH_ENGINE_API: '1' });
  if (!api) throw new Error('the Engine API did not start');
  console.log(`Berth Engine API on unix://${api.socketPath}${api.tcpAddress ? ` and tcp://${api.tcpAddress.address}:${api.tcpAddress.port} (mutual TLS)` : ''} (data in ${config.root})`);
  const shutdown = () => {
    // Containers keep running in their shims; only the socket, the engine's lock and watchers go.
    void api
      .close()
      .then(() => services.engines.close())
      .catch(() => undefined)
      .finally(() => void services.db.$disconnect().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error('Berth Engine API failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
