// Channel rows: the URL, secret and SMTP settings are sealed at rest (secret-box), opened only to send or
// to show an admin.
import { randomBytes } from 'node:crypto';
import { loadOrCreateKey, open, seal } from '../crypto/secret-box.ts';
import type { ChannelConfig } from './senders.ts';
import type { ChannelInput, ChannelType } from './schemas.ts';

export function configOf(input: ChannelInput): ChannelConfig {
  const secret = input.type === 'webhook' ? (input.secret || randomBytes(24).toString('base64url')) : input.secret || undefined;
  return { url: input.url, secret, smtp: input.type === 'smtp' ? input.smtp : undefined };
}

export function sealConfig(root: string, cfg: ChannelConfig): string {
  return seal(loadOrCreateKey(root), JSON.stringify(cfg));
}

export function openConfig(root: string, sealed: string): ChannelConfig {
  return JSON.parse(open(loadOrCreateKey(root), sealed)) as ChannelConfig;
}

/** What a viewer or operator may see: where it goes, no secrets. */
export function publicTarget(type: ChannelType, cfg: ChannelConfig): string {
  if (type === 'smtp' && cfg.smtp) return `${cfg.smtp.host}:${cfg.smtp.port} → ${cfg.smtp.to.join(', ')}`;
  try {
    const u = new URL(cfg.url);
    // Slack and many webhooks carry the secret in the path.
    return type === 'slack' ? `${u.origin}/…` : `${u.origin}${u.pathname}`;
  } catch {
    return '';
  }
}
