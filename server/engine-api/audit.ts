// Every mutating Engine API call is written to the audit log as the `engine-api` actor. The API has no
// users: whoever can open the socket is root-equivalent, so the row records what was done, not by whom.
import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { Db } from '../db/client.ts';
import { hijacked } from './hijack.ts';
import { writeAudit, type AuditActor } from '../audit/audit-log.ts';

export const ENGINE_API_ACTOR: AuditActor = { type: 'system', name: 'engine-api' };

export interface EngineApiAuditEntry {
  action: string;
  target: string | null;
  result: 'success' | 'failure';
  error: string | null;
  ip: string | null;
}

export type AuditSink = (entry: EngineApiAuditEntry) => Promise<void>;

export function dbAuditSink(db: Db): AuditSink {
  return (e) => writeAudit(db, { actor: ENGINE_API_ACTOR, ...e });
}

/** Answers longer than this are not remembered whole; error bodies and JSON error lines are small. */
const MAX_KEPT = 64 * 1024;

/**
 * Watches what a mutating route sends, so that a call that answered an error is audited as a failure
 * even when its handler returned normally: a status of 400 or more, an error line in a JSON progress
 * stream sent with 200 (`{"errorDetail":…,"error":…}`: load, pull, push, build, import), or a stream
 * cut off by the server (its source failed after the headers were out).
 */
export function watchOutcome(res: ServerResponse): { failure(): string | null } {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let body = '';
  let streamError: string | null = null;
  // writeHead(status, headers) does not make its headers visible to getHeader(): remember them.
  let headType = '';
  const isJson = (): boolean => /json/i.test(headType || String(res.getHeader('content-type') ?? ''));
  const scanLine = (line: string): void => {
    if (streamError !== null || !line.includes('"error')) return;
    try {
      const o = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
      const message = typeof o.errorDetail?.message === 'string' ? o.errorDetail.message : typeof o.error === 'string' ? o.error : null;
      if (message !== null) streamError = message;
    } catch {
      /* not a JSON line: not an error report */
    }
  };
  const observe = (chunk: unknown): void => {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return;
    if (!isJson()) return;
    const text = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (res.statusCode >= 400 && body.length < MAX_KEPT) body += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > MAX_KEPT) partial = ''; // one huge document (a list, an inspect): no error line
    lines.forEach(scanLine);
  };
  const writeHead = res.writeHead;
  const write = res.write;
  const end = res.end;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    for (const a of args) {
      if (a && typeof a === 'object' && !Array.isArray(a)) {
        for (const [k, v] of Object.entries(a)) if (k.toLowerCase() === 'content-type') headType = String(v);
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    observe(chunk);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') observe(chunk);
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  return {
    failure() {
      scanLine(partial);
      if (streamError !== null) return streamError;
      if (res.statusCode >= 400) {
        try {
          const m = (JSON.parse(body) as { message?: unknown }).message;
          if (typeof m === 'string') return m;
        } catch {
          /* not a JSON error body */
        }
        return `answered HTTP ${res.statusCode}`;
      }
      // A hijacked connection (attach, exec start) ends by closing its socket: not a cut-off.
      if (!hijacked.has(res) && res.destroyed && !res.writableEnded) return 'the response was cut off before it was complete';
      return null;
    },
  };
}
