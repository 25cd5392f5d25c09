// Alert channels and rules at the tRPC boundary, and the JSON kept in AlertRule.scope/params.
import { z } from 'zod';

export const CHANNEL_TYPES = ['webhook', 'ntfy', 'slack', 'smtp'] as const;
export const RULE_KINDS = ['died', 'oom', 'unhealthy', 'restarts', 'cpu', 'memory', 'log', 'disk', 'update'] as const;
/** What an `update` rule announces (image updates, issue 23). */
export const UPDATE_NOTICES = ['available', 'applied', 'failed'] as const;
export type UpdateNoticeKind = (typeof UPDATE_NOTICES)[number];
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export type RuleKind = (typeof RULE_KINDS)[number];

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

export const smtpSchema = z.object({
  host: z.string().trim().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(587),
  /** implicit TLS (465); otherwise STARTTLS is required unless `insecure`. */
  secure: z.boolean().default(false),
  /** Allow a server without STARTTLS (local relays only). */
  insecure: z.boolean().default(false),
  /** Accept a self-signed certificate. */
  tlsSkipVerify: z.boolean().default(false),
  user: z.string().max(255).optional(),
  password: z.string().max(1024).optional(),
  from: z.string().trim().email(),
  to: z.array(z.string().trim().email()).min(1).max(20),
});
export type SmtpConfig = z.infer<typeof smtpSchema>;

const channelBase = z.object({
  name: z.string().trim().min(1).max(80),
  type: z.enum(CHANNEL_TYPES),
  /** The endpoint; for smtp an optional `smtp://host:port` that the smtp object may replace. */
  url: z.string().trim().max(2000).default(''),
  /** Webhook HMAC-SHA256 key (generated when omitted); ntfy access token. */
  secret: z.string().max(512).optional(),
  smtp: smtpSchema.optional(),
});

function checkChannel(c: { type: ChannelType; url: string; smtp?: unknown }, ctx: z.RefinementCtx): void {
  if (c.type === 'smtp') {
    if (!c.smtp) ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'an smtp channel needs the smtp settings' });
  } else if (!httpUrl.safeParse(c.url).success) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be an http(s) URL' });
  }
}

export const channelCreateInput = channelBase.superRefine(checkChannel);
export const channelUpdateInput = channelBase.extend({ id: z.string().min(1).max(64) }).superRefine(checkChannel);
export type ChannelInput = z.infer<typeof channelCreateInput>;

export const scopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('all') }),
  z.object({ type: z.literal('label'), key: z.string().min(1).max(255), value: z.string().max(1024).optional() }),
  z.object({ type: z.literal('stack'), name: z.string().min(1).max(255) }),
  z.object({ type: z.literal('container'), name: z.string().min(1).max(255) }),
]);
export type Scope = z.infer<typeof scopeSchema>;

/** Every kind takes these; the rest is per kind. */
const common = {
  /** After firing, the same alert is not sent again until resolved; at most this many notifications a rule per hour. */
  maxPerHour: z.number().int().min(1).max(3600).default(30),
};

export const paramsByKind = {
  died: z.object({ ...common }),
  oom: z.object({ ...common }),
  unhealthy: z.object({ ...common }),
  restarts: z.object({ ...common, count: z.number().int().min(1).max(1000).default(3), minutes: z.number().min(0.05).max(1440).default(10) }),
  cpu: z.object({ ...common, percent: z.number().min(1).max(10000).default(90), seconds: z.number().min(1).max(3600).default(60) }),
  memory: z.object({ ...common, percent: z.number().min(1).max(100).default(90), seconds: z.number().min(1).max(3600).default(60) }),
  log: z.object({ ...common, pattern: z.string().min(1).max(512), quietSeconds: z.number().min(1).max(86400).default(300) }),
  disk: z.object({ ...common, percent: z.number().min(1).max(100).default(90) }),
  update: z.object({ ...common, on: z.array(z.enum(UPDATE_NOTICES)).min(1).max(3).default([...UPDATE_NOTICES]) }),
} satisfies Record<RuleKind, z.ZodTypeAny>;

export type RuleParams<K extends RuleKind> = z.infer<(typeof paramsByKind)[K]>;

const ruleBase = z.object({
  name: z.string().trim().min(1).max(80),
  kind: z.enum(RULE_KINDS),
  channelIds: z.array(z.string().min(1).max(64)).max(20),
  scope: scopeSchema.default({ type: 'all' }),
  params: z.record(z.string(), z.unknown()).default({}),
  enabled: z.boolean().default(true),
});

export const ruleCreateInput = ruleBase;
export const ruleUpdateInput = ruleBase.extend({ id: z.string().min(1).max(64) });
export const idInput = z.object({ id: z.string().min(1).max(64) });
export const historyInput = z
  .object({ limit: z.number().int().min(1).max(500).default(100), before: z.number().int().optional() })
  .default({ limit: 100 });
