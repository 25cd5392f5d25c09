// Delivers one alert message to one channel. Each sender throws with a readable reason on failure; the
// delivery queue (delivery.ts) retries. Timeouts keep a dead endpoint from holding a delivery forever.
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { ChannelType, SmtpConfig } from './schemas.ts';

export interface AlertMessage {
  state: 'firing' | 'resolved' | 'test';
  title: string;
  text: string;
  rule: string;
  kind: string;
  subject: string;
  containerId: string | null;
  at: string;
}

export interface ChannelConfig {
  url: string;
  secret?: string;
  smtp?: SmtpConfig;
}

export const SIGNATURE_HEADER = 'X-Berth-Signature';
const TIMEOUT_MS = 10_000;

/** `sha256=<hex>` of the exact body bytes, as GitHub's X-Hub-Signature-256. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${new URL(url).host}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, 200);
    throw new Error(`${new URL(url).host} answered ${res.status}${text ? `: ${text}` : ''}`);
  }
  await res.body?.cancel().catch(() => undefined);
}

export async function send(type: ChannelType, cfg: ChannelConfig, msg: AlertMessage): Promise<void> {
  switch (type) {
    case 'webhook': {
      const body = JSON.stringify(msg);
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Berth-Alerts' };
      if (cfg.secret) headers[SIGNATURE_HEADER] = signBody(cfg.secret, body);
      return post(cfg.url, body, headers);
    }
    case 'ntfy': {
      // ntfy: the topic URL takes the text as the body, the rest as headers.
      const headers: Record<string, string> = {
        Title: asciiHeader(msg.title),
        Priority: msg.state === 'firing' ? 'high' : 'default',
        Tags: msg.state === 'resolved' ? 'white_check_mark' : 'rotating_light',
      };
      if (cfg.secret) headers['Authorization'] = `Bearer ${cfg.secret}`;
      return post(cfg.url, msg.text, headers);
    }
    case 'slack':
      return post(cfg.url, JSON.stringify({ text: `*${msg.title}*\n${msg.text}` }), { 'Content-Type': 'application/json' });
    case 'smtp':
      return sendMail(cfg.smtp!, msg);
  }
}

/** HTTP header values must be ASCII; titles may hold container names with anything in them. */
function asciiHeader(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

async function sendMail(smtp: SmtpConfig, msg: AlertMessage): Promise<void> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // STARTTLS is required unless the channel says the relay is trusted without it.
    requireTLS: !smtp.secure && !smtp.insecure,
    ignoreTLS: smtp.insecure && !smtp.secure,
    tls: { rejectUnauthorized: !smtp.tlsSkipVerify },
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  try {
    await transport.sendMail({ from: smtp.from, to: smtp.to, subject: msg.title, text: `${msg.text}\n\nRule: ${msg.rule} (${msg.kind})\nAt: ${msg.at}\n` });
  } finally {
    transport.close();
  }
}
