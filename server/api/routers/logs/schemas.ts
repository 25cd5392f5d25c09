import { z } from 'zod';

/** A time as an ISO string, a Date, or Unix seconds; becomes microseconds since the epoch. */
export const timeArg = z
  .union([z.number(), z.string().max(40), z.date()])
  .transform((v, ctx) => {
    const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v * 1000 : /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'not a time (ISO 8601 or Unix seconds)' });
      return z.NEVER;
    }
    return Math.round(ms * 1000);
  });

const filters = {
  query: z.string().max(2000).default(''),
  regex: z.boolean().default(false),
  containers: z.array(z.string().min(1).max(128)).max(100).optional(),
  stack: z.string().min(1).max(255).optional(),
  stream: z.enum(['stdout', 'stderr']).optional(),
  since: timeArg.optional(),
  until: timeArg.optional(),
};

export const searchInput = z.object({
  ...filters,
  limit: z.number().int().min(1).max(5000).default(200),
  cursor: z.string().max(200).optional(),
});

export const histogramInput = z.object({ ...filters, buckets: z.number().int().min(1).max(500).default(60) });

export const contextInput = z.object({
  container: z.string().min(1).max(128),
  time: timeArg,
  before: z.number().int().min(0).max(1000).default(20),
  after: z.number().int().min(0).max(1000).default(20),
});

export const tailInput = z.object({
  query: z.string().max(2000).default(''),
  regex: z.boolean().default(false),
  containers: z.array(z.string().min(1).max(128)).max(100).optional(),
  stack: z.string().min(1).max(255).optional(),
  stream: z.enum(['stdout', 'stderr']).optional(),
});
