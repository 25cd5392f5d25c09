// GET /api/containers/<id>/logs/download — the whole log as a text file, streamed by the server, so a
// download is never limited to what the browser holds. Operator and above (viewers: no log download).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { hasRole } from '../auth/roles.ts';
import { resolveRequestSession } from '../auth/tokens-request.ts';
import { writeAudit } from '../audit/audit-log.ts';
import { clientIp } from '../auth/request-origin.ts';
import { MuxDecoder } from '../engine/streams.ts';
import type { Services } from '../services.ts';
import { engineFailureOf } from '../engine/engine-error.ts';
import { endpointIdOf } from '../engine/endpoint-choice.ts';

const PATH = /^\/api\/containers\/([A-Za-z0-9_.-]{1,128})\/logs\/download$/;

const query = z.object({
  timestamps: z.enum(['0', '1']).default('0'),
  stdout: z.enum(['0', '1']).default('1'),
  stderr: z.enum(['0', '1']).default('1'),
});

function send(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ message }));
}

/** Answers the request and returns true when it is a log download; false leaves it to the next handler. */
export async function handleLogsDownload(services: Services, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://berth.invalid');
  const m = PATH.exec(url.pathname);
  if (!m) return false;
  if (req.method !== 'GET') return send(res, 405, 'Use GET.'), true;
  const session = await resolveRequestSession(services.db, req);
  if (!session) return send(res, 401, 'Sign in first.'), true;
  if (!hasRole(session.user.role, 'operator')) {
    return send(res, 403, `Downloading logs needs the operator role; you are ${session.user.role}.`), true;
  }
  const q = query.safeParse(Object.fromEntries(url.searchParams));
  if (!q.success) return send(res, 400, q.error.issues.map((i) => i.message).join('; ')), true;
  const id = m[1]!;
  const resolved = await services.engines.resolve(endpointIdOf(req));
  if (!resolved.ok) return send(res, 412, resolved.message), true;
  const container = resolved.engine.getContainer(id);
  let tty = false;
  let name = id;
  let body: Buffer | Readable;
  try {
    const info = await container.inspect();
    tty = info.Config.Tty;
    name = info.Name.replace(/^\//, '') || id;
    body = await container.logs({ follow: false, stdout: q.data.stdout === '1', stderr: q.data.stderr === '1', timestamps: q.data.timestamps === '1' });
  } catch (err) {
    const e = engineFailureOf(err);
    return send(res, e.status === 404 ? 404 : 500, e.message), true;
  }
  // Reading a log is not a mutation, but a download leaves the dashboard: note who took it.
  await writeAudit(services.db, {
    actor: { type: 'user', id: session.user.id, name: session.user.username },
    action: 'containers.logs.download',
    target: name,
    result: 'success',
    ip: clientIp(req),
  });
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.log"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
  const mux = tty ? null : new MuxDecoder();
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    const parts: Buffer[] = [];
    if (mux) mux.push(buf, (_s, p) => parts.push(p));
    else parts.push(buf);
    for (const p of parts) {
      if (!res.write(p)) await new Promise((r) => res.once('drain', r));
    }
    if (res.destroyed) break;
  }
  res.end();
  return true;
}
