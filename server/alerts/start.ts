// Starts the log indexer and the alerts engine beside the embedded engine (both read only its data root).
import type { Services } from '../services.ts';
import { LogIndexService } from '../logs-index/service.ts';
import { AlertEngine } from './engine.ts';
import { connectUpdateAlerts } from '../updates/notices.ts';
import { updatesOf } from '../updates/service.ts';

export async function startLogsAndAlerts(services: Services): Promise<void> {
  const engine = services.engines.local();
  if (!engine) return;
  const logs = new LogIndexService({ root: services.config.root });
  logs.start();
  services.logs = logs;
  const alerts = new AlertEngine({ db: services.db, root: services.config.root, engine, logs });
  await alerts.start();
  services.alerts = alerts;
  // Image updates (found, applied, failed) reach the channels of `update` rules.
  const disconnect = connectUpdateAlerts(updatesOf(services), alerts);
  alerts.onClose(disconnect);
}

export async function stopLogsAndAlerts(services: Services): Promise<void> {
  await services.alerts?.close();
  await services.logs?.close();
}
