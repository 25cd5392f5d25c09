// zod schemas of the containers procedures. The create form posts `createInput`; its issues carry
// field paths (env.0.key, memory…) so the form shows them at the right field.
import { z } from 'zod';
import { parseDeviceSpec } from './device-spec.ts';
import { parseBytes, shellSplit } from './units.ts';

export const idInput = z.object({ id: z.string().trim().min(1).max(128) });

const optionalText = z.string().trim().max(4096).optional().default('');
const keyValue = z.object({ key: z.string().trim().max(256), value: z.string().max(8192) });
const size = (label: string) =>
  z
    .string()
    .trim()
    .max(32)
    .optional()
    .default('')
    .refine((s) => s === '' || parseBytes(s) !== null, { message: `${label}: use a size such as 64m, 1g or 512k.` });

export const portInput = z.object({
  hostIp: z.string().trim().max(64).optional().default(''),
  hostPort: z
    .string()
    .trim()
    .optional()
    .default('')
    .refine((p) => p === '' || (/^\d+$/.test(p) && Number(p) <= 65535), { message: 'Host port: 1–65535, or empty for any free port.' }),
  containerPort: z
    .string()
    .trim()
    .refine((p) => /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535, { message: 'Container port: 1–65535.' }),
  proto: z.enum(['tcp', 'udp']).default('tcp'),
});

export const volumeInput = z.object({
  source: z
    .string()
    .trim()
    .min(1, 'Give a host path or a volume name.')
    .max(4096)
    .refine((s) => s.startsWith('/') || /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s), { message: 'An absolute host path, or a volume name.' }),
  target: z.string().trim().startsWith('/', 'The container path must be absolute.').max(4096),
  readOnly: z.boolean().default(false),
});

const deviceRate = z.object({
  path: z.string().trim().startsWith('/dev/', 'A device path such as /dev/sda.'),
  rate: size('Rate').refine((s) => s !== '', { message: 'Give a rate such as 1m.' }),
});

export const createInput = z
  .object({
    image: z.string().trim().min(1, 'Choose an image.').max(512),
    name: z
      .string()
      .trim()
      .max(128)
      .optional()
      .default('')
      .refine((n) => n === '' || /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(n), {
        message: 'Names use letters, digits, _ . - and start with a letter or digit (at least 2 characters).',
      }),
    command: optionalText.refine((c) => shellSplit(c) !== null, { message: 'A quote is not closed.' }),
    entrypoint: optionalText.refine((c) => shellSplit(c) !== null, { message: 'A quote is not closed.' }),
    env: z
      .array(keyValue.refine((kv) => kv.key === '' || /^[^=\s]+$/.test(kv.key), { message: 'A variable name has no "=" or spaces.', path: ['key'] }))
      .max(500)
      .default([]),
    labels: z.array(keyValue).max(500).default([]),
    ports: z.array(portInput).max(200).default([]),
    volumes: z.array(volumeInput).max(200).default([]),
    network: z.string().trim().max(128).optional().default(''),
    restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).default('no'),
    autoRemove: z.boolean().default(false),
    /** HostConfig.UsernsMode: '' the engine's default, host opts out, auto its own id range. */
    userns: z.enum(['', 'host', 'auto']).default(''),
    tty: z.boolean().default(false),
    openStdin: z.boolean().default(false),
    /** --privileged: admins only (privileged.ts). */
    privileged: z.boolean().default(false),
    /** --device entries (host[:container][:rwm]); admins only, as privileged (privileged.ts). */
    devices: z
      .array(
        z
          .string()
          .trim()
          .max(4096)
          .superRefine((d, ctx) => {
            const r = parseDeviceSpec(d);
            if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `Devices: ${r}` });
          }),
      )
      .max(64)
      .default([]),
    user: z.string().trim().max(256).optional().default(''),
    workdir: z
      .string()
      .trim()
      .max(4096)
      .optional()
      .default('')
      .refine((w) => w === '' || w.startsWith('/'), { message: 'The working directory must be absolute.' }),
    memory: size('Memory').refine((s) => parseBytes(s) === null || parseBytes(s)! >= 6 * 1024 * 1024, { message: 'Memory: at least 6m, as Docker requires.' }),
    cpus: z
      .string()
      .trim()
      .max(16)
      .optional()
      .default('')
      .refine((c) => c === '' || (/^\d+(\.\d+)?$/.test(c) && Number(c) > 0), { message: 'CPUs: a number such as 0.5 or 2.' }),
    pidsLimit: z
      .string()
      .trim()
      .max(12)
      .optional()
      .default('')
      .refine((p) => p === '' || /^-?\d+$/.test(p), { message: 'Pids limit: a whole number (-1 or 0 for none).' }),
    deviceReadBps: z.array(deviceRate).max(32).default([]),
    deviceWriteBps: z.array(deviceRate).max(32).default([]),
    start: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (v.autoRemove && v.restart !== 'no') {
      ctx.addIssue({ code: 'custom', path: ['restart'], message: 'A restart policy cannot be combined with --rm.' });
    }
  });
export type CreateInput = z.infer<typeof createInput>;

/** Edit and recreate: the form's name is ignored, the container keeps its own. */
export const recreateInput = idInput.extend({ form: createInput });

export const updateInput = idInput.extend({
  // No minimum here: the engine's own refusal ("Minimum memory limit allowed is 6MB") reaches the field.
  memory: size('Memory'),
  memorySwap: z
    .string()
    .trim()
    .max(32)
    .optional()
    .default('')
    .refine((s) => s === '' || s === '-1' || parseBytes(s) !== null, { message: 'Swap: a size, or -1 for unlimited.' }),
  cpus: z
    .string()
    .trim()
    .max(16)
    .optional()
    .default('')
    .refine((c) => c === '' || (/^\d+(\.\d+)?$/.test(c) && Number(c) >= 0), { message: 'CPUs: a number such as 0.5 or 2.' }),
  pidsLimit: z
    .string()
    .trim()
    .max(12)
    .optional()
    .default('')
    .refine((p) => p === '' || /^-?\d+$/.test(p), { message: 'Pids limit: a whole number.' }),
  restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).optional(),
});

export const listInput = z
  .object({ all: z.boolean().default(true), label: z.string().max(512).optional() })
  .default({ all: true });

export const logsInput = idInput.extend({
  tail: z.union([z.number().int().min(0).max(10_000_000), z.literal('all')]).default(1000),
  /** Unix seconds. */
  since: z.number().nonnegative().optional(),
  timestamps: z.boolean().default(false),
  stdout: z.boolean().default(true),
  stderr: z.boolean().default(true),
});

export const statsManyInput = z.object({ ids: z.array(z.string().min(1).max(128)).max(100) });

export const topInput = idInput.extend({ psArgs: z.string().max(128).regex(/^[A-Za-z0-9 ,=-]*$/, 'Only ps options.').optional() });

export const killInput = idInput.extend({ signal: z.string().regex(/^(SIG)?[A-Z0-9+-]+$|^\d+$/).max(16).optional() });
export const stopInput = idInput.extend({ t: z.number().int().min(0).max(3600).optional() });
export const removeInput = idInput.extend({ force: z.boolean().default(false), volumes: z.boolean().default(false) });
