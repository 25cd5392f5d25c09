// The build options at the API boundary (dockerode's buildImage / POST /build query), validated once.
// The HTTP API sends buildargs and labels as JSON strings and booleans as "1"/"true"; both are accepted.
import { z } from 'zod';

const bool = (def: boolean) =>
  z.preprocess((v) => (typeof v === 'string' ? v === '1' || v.toLowerCase() === 'true' : v), z.boolean().optional()).transform((v) => v ?? def);

const jsonRecord = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.record(z.string(), z.string().nullable()).optional(),
);

export const BuildOptionsSchema = z
  .object({
    t: z.union([z.string(), z.array(z.string())]).optional(),
    dockerfile: z.string().optional(),
    buildargs: jsonRecord,
    nocache: bool(false),
    pull: bool(false),
    rm: bool(true),
    forcerm: bool(false),
    q: bool(false),
    labels: jsonRecord,
    target: z.string().optional(),
    networkmode: z.enum(['default', 'none', 'host', '']).optional(),
    platform: z.string().optional(),
  })
  .passthrough()
  .transform((o) => ({
    t: o.t === undefined ? [] : (Array.isArray(o.t) ? o.t : [o.t]).filter((x) => x !== ''),
    dockerfile: o.dockerfile || 'Dockerfile',
    buildargs: o.buildargs ?? {},
    nocache: o.nocache,
    pull: o.pull,
    // forcerm implies rm; a failed step's container is removed either way (docs/builder.md)
    rm: o.rm || o.forcerm,
    forcerm: o.forcerm,
    q: o.q,
    labels: Object.fromEntries(Object.entries(o.labels ?? {}).map(([k, v]) => [k, v ?? ''])),
    target: o.target || undefined,
    networkmode: o.networkmode || 'default',
    platform: o.platform || undefined,
  }));

export type ParsedBuildOptions = z.output<typeof BuildOptionsSchema>;
