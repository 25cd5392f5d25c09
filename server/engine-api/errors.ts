// Errors on the wire as dockerd sends them: the status code and `{"message": …}` JSON; 304 with no body.
// EngineError (and docker-modem's errors from a remote engine) carry statusCode; anything else is a 500
// whose message names the cause, so the CLI user sees what failed instead of a bare "server error".
import type { ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { engineHeaders } from './headers.ts';

export interface WireError {
  status: number;
  message: string;
}

/** Maps any thrown value onto Docker's status code and message. */
export function toWireError(err: unknown): WireError {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue && issue.path.length ? `${issue.path.join('.')}: ` : '';
    return { status: 400, message: `${where}${issue?.message ?? 'invalid request'}` };
  }
  if (err && typeof err === 'object') {
    const e = err as { statusCode?: unknown; json?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.statusCode === 'number' && e.statusCode >= 300 && e.statusCode < 600) {
      const json = e.json as { message?: unknown } | null | undefined;
      const message = typeof json?.message === 'string' ? json.message : typeof e.message === 'string' ? e.message : 'error';
      return { status: e.statusCode, message };
    }
    if (typeof e.message === 'string') {
      const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
      return { status: 500, message: `${e.message}${cause}` };
    }
  }
  return { status: 500, message: String(err) };
}

/** Writes the error response, unless the response has already started (then it is cut off). */
export function sendError(res: ServerResponse, err: unknown): WireError {
  const w = toWireError(err);
  if (res.headersSent) {
    res.destroy();
    return w;
  }
  if (w.status === 304) {
    res.writeHead(304, engineHeaders());
    res.end();
    return w;
  }
  const body = JSON.stringify({ message: w.message }) + '\n';
  res.writeHead(w.status, { ...engineHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return w;
}

/** The same error as raw HTTP/1.1 bytes, for a socket taken over by an upgrade request. */
export function errorResponseBytes(err: unknown): { bytes: string; wire: WireError } {
  const w = toWireError(err);
  const body = w.status === 304 ? '' : JSON.stringify({ message: w.message }) + '\n';
  const reason = w.status === 304 ? 'Not Modified' : STATUS_TEXT[w.status] ?? 'Error';
  const head = [`HTTP/1.1 ${w.status} ${reason}`, ...Object.entries(engineHeaders()).map(([k, v]) => `${k}: ${v}`)];
  if (body) head.push('Content-Type: application/json');
  head.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
  return { bytes: head.join('\r\n') + '\r\n\r\n' + body, wire: w };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** A request error raised by this layer (bad query, unknown route), in Docker's wording. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
