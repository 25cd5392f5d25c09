// Small HTTP helpers: the headers dockerd puts on every response, JSON bodies in and out, and query
// parameters read the way dockerd's httputils reads them ("1"/"true" are true, repeated keys are lists).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ApiError } from './errors.ts';
import { engineHeaders } from './headers.ts';

export { API_VERSION, engineHeaders, MIN_API_VERSION, SERVER_HEADER } from './headers.ts';

/** JSON as Go's json.Encoder writes it: one line, newline-terminated. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { ...engineHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, engineHeaders());
  res.end();
}

const MAX_JSON_BODY = 8 * 1024 * 1024;

/** The request body as JSON (an empty body is `undefined`). */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_JSON_BODY) throw new ApiError(400, 'request body too large');
    chunks.push(c as Buffer);
  }
  return parseJsonText(Buffer.concat(chunks).toString('utf8'));
}

export function parseJsonText(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `invalid JSON: ${(e as Error).message}`);
  }
}

/** Parses with zod, answering 400 with the first issue. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new ApiError(400, i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message);
}

/** Typed readers over the query string. */
export class Query {
  constructor(readonly params: URLSearchParams) {}

  has(k: string): boolean {
    return this.params.has(k);
  }

  str(k: string): string | undefined {
    const v = this.params.get(k);
    return v === null ? undefined : v;
  }

  all(k: string): string[] {
    return this.params.getAll(k);
  }

  /** dockerd's BoolValue: anything but "", "0", "no", "false", "none" is true. */
  bool(k: string): boolean | undefined {
    const v = this.params.get(k);
    if (v === null) return undefined;
    return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
  }

  int(k: string): number | undefined {
    const v = this.params.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new ApiError(400, `invalid value for ${k}: ${v}`);
    return n;
  }

  /** A JSON-encoded query value (buildargs, labels). */
  json<T>(k: string): T | undefined {
    const v = this.params.get(k);
    if (v === null || v === '') return undefined;
    try {
      return JSON.parse(v) as T;
    } catch {
      throw new ApiError(400, `invalid JSON in query parameter ${k}`);
    }
  }
}
