// zod schemas of the stacks procedures. Names follow Compose v2's project-name rule; compose files are
// plain *.yml/*.yaml names; assets (build contexts, env_file, secrets) are base64 with relative paths.
import { z } from 'zod';

export const stackName = z
  .string()
  .trim()
  .min(1, 'Give the stack a name.')
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'Lower-case letters, digits, - and _, starting with a letter or digit.');

export const composeFile = z.object({
  name: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.ya?ml$/, 'A file name ending in .yml or .yaml.'),
  content: z.string().max(1024 * 1024, 'A compose file is at most 1 MiB.'),
});

export const stackAsset = z.object({
  path: z.string().trim().min(1).max(1024),
  /** Base64. */
  content: z.string().max(48 * 1024 * 1024),
});

/** What a deploy, plan or validate is given: the files in merge order, the .env text, assets. */
export const stackFiles = z.object({
  files: z.array(composeFile).min(1, 'Give at least one compose file.').max(16),
  env: z.string().max(256 * 1024).default(''),
  assets: z.array(stackAsset).max(2000).default([]),
  profiles: z.array(z.string().trim().min(1).max(64)).max(32).default([]),
});

export const nameInput = z.object({ name: stackName });
export const validateInput = stackFiles.extend({ name: stackName.default('stack') });
export const planInput = stackFiles.extend({ name: stackName });
export const stageInput = planInput;

const deployOptions = { removeOrphans: z.boolean().default(false), note: z.string().max(500).default('') };
export const deployInput = z.union([
  planInput.extend(deployOptions),
  z.object({ name: stackName, stagedId: z.string().uuid(), ...deployOptions }),
]);
export const downInput = z.object({ name: stackName, volumes: z.boolean().default(false) });
export const scaleInput = z.object({ name: stackName, service: z.string().trim().min(1).max(128), replicas: z.number().int().min(0).max(100) });
/** A log time key (RFC3339 with nine fraction digits, UTC), as log pages give them. */
const logTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/, 'A log time: YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ.');
export const logsInput = z.object({
  name: stackName,
  services: z.array(z.string().max(128)).max(100).default([]),
  tail: z.union([z.number().int().min(0).max(100_000), z.literal('all')]).default(500),
  timestamps: z.boolean().default(true),
  follow: z.boolean().default(true),
  /** Only lines from this time on (a log page's `until`): the live part after the first page. */
  since: logTime.optional(),
});
export const logPageInput = z.object({
  name: stackName,
  services: z.array(z.string().max(128)).max(100).default([]),
  /** A page's `cursor`: lines older than this. Absent: the newest lines. */
  before: logTime.optional(),
  limit: z.number().int().min(1).max(20_000).default(5_000),
});
export const versionInput = z.object({ name: stackName, version: z.number().int().min(1) });
export const rollbackInput = versionInput.extend({ removeOrphans: z.boolean().default(false) });
export const bindSetting = z.object({ operatorsMayBindMount: z.boolean() });
export const eventsInput = z.object({ name: stackName, sinceSeconds: z.number().int().min(0).max(7 * 86400).default(3600) });
