import { z } from 'zod';
import { ROLES } from '../../../auth/roles.ts';
import { MAX_TOKEN_DAYS } from '../../../auth/tokens.ts';

export const createTokenInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Name the token.')
    .max(64, 'At most 64 characters.')
    .regex(/^[\w .@-]+$/, 'Letters, digits, space and . _ - @ only.'),
  role: z.enum(ROLES),
  expiresInDays: z.number().int().min(1, 'At least 1 day.').max(MAX_TOKEN_DAYS, `At most ${MAX_TOKEN_DAYS} days.`),
});

export const idInput = z.object({ id: z.string().min(1).max(128) });

/** `all` asks for everyone's (admins only); otherwise the caller's own. */
export const listInput = z.object({ all: z.boolean().default(false) }).default({ all: false });
