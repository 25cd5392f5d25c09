// Starts the log indexer and the alerts engine beside the embedded engine (both read only its data root).
import type { Services } from '../api/services.ts';
import { LogIndexService } from '../logs-index/service.ts';
import { AlertEngine } from './engine.ts';

export async function startLogsAndAlerts(services: Services): Promise<void> {
  const engine = services.engines.local();
  if (!engine) return;
  const logs = new LogIndexService({ root: services.config.root });
  logs.start();
  services.logs = logs;
  const alerts = new AlertEngine({ db: services.db, root: services.config.root, engine, logs });
  await alerts.start();
  services.alerts = alerts;
}

export async function stopLogsAndAlerts(services: Services): Promise<void> {
  await services.alerts?.close();
  await services.logs?.close();
}
