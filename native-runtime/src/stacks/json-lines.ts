// Reads an engine progress stream (pull, build): one JSON object per line.
import type { Readable } from 'node:stream';

export async function* jsonLines(stream: Readable, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
  let buf = '';
  const onAbort = () => stream.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) {
      buf += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield parse(line);
      }
    }
    if (buf.trim()) yield parse(buf.trim());
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function parse(line: string): Record<string, unknown> {
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : { stream: line };
  } catch {
    return { stream: line + '\n' };
  }
}

/** The error an engine progress record carries, if any. */
export function recordError(r: Record<string, unknown>): string | null {
  const d = r['errorDetail'] as { message?: string } | undefined;
  if (d?.message) return d.message;
  return typeof r['error'] === 'string' ? r['error'] : null;
}
