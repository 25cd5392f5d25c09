// Dashboard settings kept in the Setting table as JSON: defaults for new containers and outbound access.
import { z } from 'zod';
import type { Db } from '../db/client.ts';

export const containerDefaults = z.object({
  memory: z.string().trim().max(32).regex(/^(\d+(\.\d+)?[bkmg]?)?$/i, 'Memory like 256m or 1g, or empty.').default(''),
  cpus: z.string().trim().max(16).regex(/^(\d+(\.\d+)?)?$/, 'CPUs like 0.5 or 2, or empty.').default(''),
  pidsLimit: z.string().trim().max(10).regex(/^\d*$/, 'A whole number, or empty.').default(''),
  restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).default('no'),
  network: z.string().trim().max(128).default(''),
});
export type ContainerDefaults = z.infer<typeof containerDefaults>;

export const outboundSetting = z.object({ enabled: z.boolean() });

/** The engine's default user namespace mode (issue #19): host, remap or auto. */
export const usernsSetting = z.object({ mode: z.enum(['host', 'remap', 'auto']) });

export const SETTING_KEYS = { defaults: 'containers.defaults', outbound: 'network.outbound', userns: 'engine.userns' } as const;
const KEYS = SETTING_KEYS;

async function readJson<T>(db: Db, key: string, schema: z.ZodType<T>, fallback: T): Promise<T> {
  const row = await db.setting.findUnique({ where: { key } });
  if (!row) return fallback;
  const parsed = schema.safeParse(JSON.parse(row.value));
  return parsed.success ? parsed.data : fallback;
}

async function writeJson(db: Db, key: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value);
  await db.setting.upsert({ where: { key }, create: { key, value: text }, update: { value: text } });
}

export const readDefaults = (db: Db) => readJson(db, KEYS.defaults, containerDefaults, containerDefaults.parse({}));
export const writeDefaults = (db: Db, v: ContainerDefaults) => writeJson(db, KEYS.defaults, v);
export const readOutbound = (db: Db) => readJson(db, KEYS.outbound, outboundSetting, { enabled: false });
export const writeOutbound = (db: Db, v: { enabled: boolean }) => writeJson(db, KEYS.outbound, v);
/** null: never set here, the engine follows BERTH_USERNS. */
export const readUserns = (db: Db) => readJson<z.infer<typeof usernsSetting> | null>(db, KEYS.userns, usernsSetting, null);
export const writeUserns = (db: Db, v: z.infer<typeof usernsSetting>) => writeJson(db, KEYS.userns, v);
