// Sends alert messages to channels off the engine's path: each delivery is a row (pending → sent/failed),
// retried with exponential backoff; a failing channel is marked with its last error for the UI.
import type { Db } from '../db/client.ts';
import { openConfig } from './channels.ts';
import { send, type AlertMessage } from './senders.ts';
import type { ChannelType } from './schemas.ts';

export interface DeliveryOptions {
  root: string;
  /** Waits before each retry; its length is the number of retries. */
  backoffMs?: number[];
  /** Called after a delivery's status was written (the alerts page refetches instead of polling). */
  onChange?: () => void;
}

export interface ChannelRow {
  id: string;
  name: string;
  type: string;
  configSealed: string;
}

export class Deliverer {
  private readonly backoff: number[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly opts: DeliveryOptions,
  ) {
    this.backoff = opts.backoffMs ?? [1000, 5000, 30_000, 120_000, 600_000];
  }

  /** Queues the message for each channel; returns at once. */
  enqueue(eventId: Promise<number> | number | null, msg: AlertMessage, channels: ChannelRow[]): void {
    for (const ch of channels) void this.start(eventId, msg, ch);
  }

  /** One attempt, awaited (the channel's "send test" button). */
  async sendNow(msg: AlertMessage, ch: ChannelRow): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      await send(ch.type as ChannelType, openConfig(this.opts.root, ch.configSealed), msg);
      await this.markChannel(ch.id, null);
      return { ok: true };
    } catch (e) {
      const error = (e as Error).message;
      await this.markChannel(ch.id, error);
      return { ok: false, error };
    }
  }

  private async start(eventId: Promise<number> | number | null, msg: AlertMessage, ch: ChannelRow): Promise<void> {
    // The row is written beside the first attempt, not before it: recording must not delay the alert.
    const row =
      eventId === null
        ? Promise.resolve(null)
        : Promise.resolve(eventId)
            .then((id) => this.db.alertDelivery.create({ data: { eventId: id, channelId: ch.id, channelName: ch.name, status: 'pending' } }))
            .then((r) => r.id)
            .catch(() => null);
    await this.attempt(row, msg, ch, 0);
  }

  private async attempt(row: Promise<number | null>, msg: AlertMessage, ch: ChannelRow, n: number): Promise<void> {
    if (this.closed) return;
    try {
      await send(ch.type as ChannelType, openConfig(this.opts.root, ch.configSealed), msg);
      const deliveryId = await row;
      if (deliveryId !== null) await this.db.alertDelivery.update({ where: { id: deliveryId }, data: { status: 'sent', attempts: n + 1, deliveredAt: new Date(), lastError: null } }).catch(() => undefined);
      await this.markChannel(ch.id, null);
      this.opts.onChange?.();
    } catch (e) {
      const error = (e as Error).message;
      const last = n >= this.backoff.length;
      const deliveryId = await row;
      if (deliveryId !== null) await this.db.alertDelivery.update({ where: { id: deliveryId }, data: { status: last ? 'failed' : 'retrying', attempts: n + 1, lastError: error } }).catch(() => undefined);
      await this.markChannel(ch.id, error);
      this.opts.onChange?.();
      if (!last && !this.closed) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          void this.attempt(row, msg, ch, n + 1);
        }, this.backoff[n]);
        t.unref();
        this.timers.add(t);
      }
    }
  }

  private async markChannel(id: string, error: string | null): Promise<void> {
    const data = error === null ? { lastOkAt: new Date(), lastError: null, lastErrorAt: null } : { lastError: error.slice(0, 500), lastErrorAt: new Date() };
    await this.db.alertChannel.update({ where: { id }, data }).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
