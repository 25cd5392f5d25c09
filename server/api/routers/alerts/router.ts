// alerts.*: channels (admins), rules (operators), history and the bell (everyone signed in).
import { randomUUID } from 'node:crypto';
import { on } from 'node:events';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { configOf, openConfig, publicTarget, sealConfig } from '../../../alerts/channels.ts';
import { Deliverer } from '../../../alerts/delivery.ts';
import { paramsByKind, type ChannelType, type RuleKind } from '../../../alerts/schemas.ts';
import { compileLinear } from '../../../logs-index/regex.ts';
import type { Services } from '../../../services.ts';
import { adminProcedure, operatorProcedure, protectedProcedure, router } from '../../trpc.ts';
import { channelCreateInput, channelUpdateInput, historyInput, idInput, ruleCreateInput, ruleUpdateInput } from './schemas.ts';

function deliverer(services: Services): Deliverer {
  return services.alerts?.delivery ?? new Deliverer(services.db, { root: services.config.root, backoffMs: [] });
}

async function reload(services: Services): Promise<void> {
  await services.alerts?.reload();
}

/** Params are checked against the kind's schema (defaults filled in); a log pattern must be linear-time. */
function checkedParams(kind: RuleKind, params: Record<string, unknown>): Record<string, unknown> {
  const r = paramsByKind[kind].safeParse(params);
  if (!r.success) throw new TRPCError({ code: 'BAD_REQUEST', message: `params: ${r.error.issues.map((i) => `${i.path.join('.') || kind}: ${i.message}`).join('; ')}` });
  if (kind === 'log') {
    const c = compileLinear(String((r.data as Record<string, unknown>)["pattern"]));
    if (!c.ok) throw new TRPCError({ code: 'BAD_REQUEST', message: `params.pattern: ${c.error}` });
  }
  return r.data as Record<string, unknown>;
}

async function checkChannels(services: Services, ids: string[]): Promise<void> {
  const found = await services.db.alertChannel.count({ where: { id: { in: ids } } });
  if (found !== new Set(ids).size) throw new TRPCError({ code: 'BAD_REQUEST', message: 'channelIds: unknown channel' });
}

const channelsRouter = router({
  list: protectedProcedure.query(async ({ ctx }) => {
    const admin = ctx.session.user.role === 'admin';
    const rows = await ctx.services.db.alertChannel.findMany({ orderBy: { name: 'asc' } });
    return rows.map((r) => {
      const cfg = openConfig(ctx.services.config.root, r.configSealed);
      return {
        id: r.id,
        name: r.name,
        type: r.type as ChannelType,
        target: publicTarget(r.type as ChannelType, cfg),
        // Admins manage channels, so they see what they configured (the receiver needs the HMAC key).
        url: admin ? cfg.url : undefined,
        secret: admin ? cfg.secret : undefined,
        smtp: admin && cfg.smtp ? { ...cfg.smtp, password: cfg.smtp.password ? '••••••' : undefined } : undefined,
        failing: r.lastError !== null,
        lastError: r.lastError,
        lastErrorAt: r.lastErrorAt,
        lastOkAt: r.lastOkAt,
      };
    });
  }),

  create: adminProcedure.input(channelCreateInput).mutation(async ({ ctx, input }) => {
    const id = randomUUID();
    const exists = await ctx.services.db.alertChannel.findUnique({ where: { name: input.name } });
    if (exists) throw new TRPCError({ code: 'CONFLICT', message: `a channel named "${input.name}" exists` });
    await ctx.services.db.alertChannel.create({ data: { id, name: input.name, type: input.type, configSealed: sealConfig(ctx.services.config.root, configOf(input)) } });
    ctx.audit.target = input.name;
    return { id };
  }),

  update: adminProcedure.input(channelUpdateInput).mutation(async ({ ctx, input }) => {
    const row = await ctx.services.db.alertChannel.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'no such channel' });
    const old = openConfig(ctx.services.config.root, row.configSealed);
    const cfg = configOf({ ...input, secret: input.secret ?? old.secret });
    // A password left empty keeps the stored one.
    if (cfg.smtp && !cfg.smtp.password && old.smtp?.password) cfg.smtp.password = old.smtp.password;
    await ctx.services.db.alertChannel.update({ where: { id: input.id }, data: { name: input.name, type: input.type, configSealed: sealConfig(ctx.services.config.root, cfg) } });
    return { id: input.id };
  }),

  delete: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    await ctx.services.db.alertChannel.deleteMany({ where: { id: input.id } });
    return { ok: true };
  }),

  /** Sends a test message now and answers with the channel's own error, if any. */
  test: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const row = await ctx.services.db.alertChannel.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'no such channel' });
    return deliverer(ctx.services).sendNow(
      { state: 'test', title: `Berth test alert (${row.name})`, text: 'This is a test message from Berth.', rule: 'test', kind: 'test', subject: 'test', containerId: null, at: new Date().toISOString() },
      row,
    );
  }),
});

const rulesRouter = router({
  list: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.services.db.alertRule.findMany({ orderBy: { name: 'asc' } });
    const active = ctx.services.alerts?.active() ?? [];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind as RuleKind,
      enabled: r.enabled,
      channelIds: JSON.parse(r.channelIds) as string[],
      scope: JSON.parse(r.scope) as unknown,
      params: JSON.parse(r.params) as Record<string, unknown>,
      firing: active.filter((a) => a.ruleId === r.id).map((a) => a.subject),
    }));
  }),

  create: operatorProcedure.input(ruleCreateInput).mutation(async ({ ctx, input }) => {
    const params = checkedParams(input.kind, input.params);
    await checkChannels(ctx.services, input.channelIds);
    const id = randomUUID();
    await ctx.services.db.alertRule.create({
      data: { id, name: input.name, kind: input.kind, enabled: input.enabled, channelIds: JSON.stringify(input.channelIds), scope: JSON.stringify(input.scope), params: JSON.stringify(params) },
    });
    ctx.audit.target = input.name;
    await reload(ctx.services);
    return { id };
  }),

  update: operatorProcedure.input(ruleUpdateInput).mutation(async ({ ctx, input }) => {
    const params = checkedParams(input.kind, input.params);
    await checkChannels(ctx.services, input.channelIds);
    const r = await ctx.services.db.alertRule.updateMany({
      where: { id: input.id },
      data: { name: input.name, kind: input.kind, enabled: input.enabled, channelIds: JSON.stringify(input.channelIds), scope: JSON.stringify(input.scope), params: JSON.stringify(params) },
    });
    if (r.count === 0) throw new TRPCError({ code: 'NOT_FOUND', message: 'no such rule' });
    await reload(ctx.services);
    return { id: input.id };
  }),

  delete: operatorProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    await ctx.services.db.alertRule.deleteMany({ where: { id: input.id } });
    await reload(ctx.services);
    return { ok: true };
  }),
});

export const alertsRouter = router({
  channels: channelsRouter,
  rules: rulesRouter,

  history: protectedProcedure.input(historyInput).query(async ({ ctx, input }) => {
    const events = await ctx.services.db.alertEvent.findMany({
      where: input.before ? { id: { lt: input.before } } : undefined,
      orderBy: { id: 'desc' },
      take: input.limit,
    });
    const deliveries = await ctx.services.db.alertDelivery.findMany({ where: { eventId: { in: events.map((e) => e.id) } } });
    return events.map((e) => ({ ...e, deliveries: deliveries.filter((d) => d.eventId === e.id).map((d) => ({ channel: d.channelName, status: d.status, attempts: d.attempts, lastError: d.lastError })) }));
  }),

  /** The bell: alerts since this user last opened the list. */
  unread: protectedProcedure.query(async ({ ctx }) => {
    const seen = await ctx.services.db.alertSeen.findUnique({ where: { userId: ctx.session.user.id } });
    const where = seen ? { at: { gt: seen.seenAt }, state: 'firing' } : { state: 'firing' };
    const [count, latest] = await Promise.all([
      ctx.services.db.alertEvent.count({ where }),
      ctx.services.db.alertEvent.findMany({ where, orderBy: { id: 'desc' }, take: 8 }),
    ]);
    return { count, latest: latest.map((e) => ({ id: e.id, at: e.at, ruleName: e.ruleName, subject: e.subject, message: e.message, kind: e.kind })) };
  }),

  /** A tick per alert written, so the bell and the history refetch only when something happened. */
  live: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    const alerts = ctx.services.alerts;
    if (!alerts) return;
    try {
      for await (const [e] of on(alerts.recorded, 'recorded', { signal })) yield e as { id: number | string; state: string };
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  }),

  markRead: protectedProcedure.input(z.object({}).default({})).mutation(async ({ ctx }) => {
    const now = new Date();
    await ctx.services.db.alertSeen.upsert({ where: { userId: ctx.session.user.id }, create: { userId: ctx.session.user.id, seenAt: now }, update: { seenAt: now } });
    return { ok: true };
  }),
});
