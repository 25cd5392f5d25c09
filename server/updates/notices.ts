// Image update events → notices for the alerts engine's `update` rules (alert channels, issue 23). Only what
// people are told about: an update found, applied, or failed/rolled back; progress steps and "up to date"
// stay on updates.events.
import type { UpdateNotice } from '../alerts/engine.ts';
import type { UpdateEvent } from './service.ts';

export function noticeOf(e: UpdateEvent): UpdateNotice | null {
  if (e.type === 'check' && e.check?.status === 'update-available') {
    const c = e.check;
    const created = c.created ? `, built ${c.created}` : '';
    const who = e.container ? ` (used by ${e.container.name})` : '';
    return {
      what: 'available',
      endpointId: e.endpointId,
      ref: c.ref,
      target: c.digest,
      ...(e.container ? { container: e.container } : {}),
      text: `A newer image is available for ${c.ref}${who}: ${c.digest}${created}.`,
    };
  }
  if (e.type === 'update' && e.outcome) {
    const o = e.outcome;
    const base = { endpointId: e.endpointId, ref: o.image, target: o.toImageId ?? '', ...(e.container ? { container: e.container } : {}) };
    if (o.status === 'updated') return { ...base, what: 'applied', text: `${o.name} was updated to ${o.image} (${short(o.toImageId)}, was ${short(o.fromImageId)}).` };
    if (o.status === 'rolled-back') return { ...base, what: 'failed', text: `The update of ${o.name} to ${o.image} (${short(o.toImageId)}) was rolled back: ${o.reason ?? 'unknown reason'}. The old container runs again.` };
    if (o.status === 'failed') return { ...base, what: 'failed', text: `The update of ${o.name} to ${o.image} failed: ${o.reason ?? 'unknown reason'}.` };
  }
  return null;
}

const short = (id: string | null) => (id ? id.replace(/^sha256:/, '').slice(0, 12) : 'none');

/** Sends every update event that people are told about to the alerts engine's `update` rules. */
export function connectUpdateAlerts(updates: { events: import('node:events').EventEmitter }, alerts: { onUpdate(n: UpdateNotice): void }): () => void {
  const on = (e: UpdateEvent) => {
    const n = noticeOf(e);
    if (n) alerts.onUpdate(n);
  };
  updates.events.on('event', on);
  return () => updates.events.off('event', on);
}
