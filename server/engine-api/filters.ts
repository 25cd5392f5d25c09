// The `filters` query parameter: JSON, either {"label": {"a=b": true}} (the CLI's map form) or
// {"label": ["a=b"]} (the older list form). Normalised to the list form the Engine takes.
import { z } from 'zod';
import type { Filters } from '@berth/runtime/engine';
import { ApiError } from './errors.ts';

const FiltersSchema = z.record(z.string(), z.union([z.array(z.string()), z.record(z.string(), z.boolean())]));

export function parseFilters(raw: string | undefined): Filters | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid filter '${raw}'`);
  }
  const r = FiltersSchema.safeParse(obj);
  if (!r.success) throw new ApiError(400, `invalid filter '${raw}'`);
  const out: Filters = {};
  for (const [k, v] of Object.entries(r.data)) {
    out[k] = Array.isArray(v) ? v : Object.entries(v).filter(([, on]) => on).map(([x]) => x);
  }
  return out;
}
