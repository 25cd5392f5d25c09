// GET /api/images/<ref>/save streams `docker save` as a download; POST /api/images/load takes a raw tar
// body (fetch with a File/Blob body, no multipart) into `docker load`. Operator and above, audited.
// POST /api/builds/context stores a raw tar (or .tar.gz) as a build context and answers its id.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Services } from '../services.ts';
import { engineFailureOf } from '../engine/engine-error.ts';
import { endpointIdOf } from '../engine/endpoint-choice.ts';
import { imageRef } from '../api/routers/images/schemas.ts';
import { saveContext } from '../builds/context-store.ts';
import { auditRoute, requireRole, sendMessage } from './route-auth.ts';

const SAVE = /^\/api\/images\/([^/]+)\/save$/;
const MAX_CONTEXT_BYTES = 2 * 1024 * 1024 * 1024;

/** An engine error's own status when it is an error status, else 500. */
const statusOf = (err: unknown) => {
  const s = engineFailureOf(err).status;
  return s >= 400 ? s : 500;
};

async function engineOrAnswer(services: Services, req: IncomingMessage, res: ServerResponse) {
  const r = await services.engines.resolve(endpointIdOf(req));
  if (!r.ok) sendMessage(res, 412, r.message);
  return r.ok ? r.engine : null;
}

async function save(services: Services, req: IncomingMessage, res: ServerResponse, encodedRef: string): Promise<void> {
  let ref: string;
  try {
    ref = imageRef.parse(decodeURIComponent(encodedRef));
  } catch {
    return sendMessage(res, 400, 'Not an image reference.');
  }
  const session = await requireRole(services, req, res, 'operator', 'images.save', ref);
  if (!session) return;
  const engine = await engineOrAnswer(services, req, res);
  if (!engine) return;
  let tar: Readable;
  try {
    await engine.getImage(ref).inspect();
    tar = await engine.getImage(ref).get();
  } catch (err) {
    await auditRoute(services, req, session, 'images.save', ref, 'failure', engineFailureOf(err).message);
    return sendMessage(res, statusOf(err), engineFailureOf(err).message);
  }
  await auditRoute(services, req, session, 'images.save', ref, 'success');
  const file = ref.replace(/[^A-Za-z0-9_.-]+/g, '_');
  res.writeHead(200, {
    'Content-Type': 'application/x-tar',
    'Content-Disposition': `attachment; filename="${file}.tar"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  await pipeline(tar, res).catch(() => tar.destroy());
}

async function load(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const session = await requireRole(services, req, res, 'operator', 'images.load', 'upload');
  if (!session) return;
  const engine = await engineOrAnswer(services, req, res);
  if (!engine) return;
  let out: Readable;
  try {
    out = await engine.loadImage(req);
  } catch (err) {
    await auditRoute(services, req, session, 'images.load', 'upload', 'failure', engineFailureOf(err).message);
    return sendMessage(res, statusOf(err), engineFailureOf(err).message);
  }
  // The engine's progress lines go back as they come; the last ones say "Loaded image: …" or carry the error.
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  let text = '';
  for await (const chunk of out) {
    text += String(chunk);
    res.write(chunk);
  }
  res.end();
  const loaded = [...text.matchAll(/Loaded image(?: ID)?: ([^"\\]+)/g)].map((m) => m[1]).join(', ');
  const error = /"error(?:Detail)?"/.test(text) ? (/"message":"([^"]*)"/.exec(text)?.[1] ?? 'load failed') : null;
  await auditRoute(services, req, session, 'images.load', loaded || 'upload', error ? 'failure' : 'success', error);
}

async function buildContext(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const session = await requireRole(services, req, res, 'operator', 'builds.context', 'upload');
  if (!session) return;
  try {
    const r = await saveContext(services.config.root, session.user.id, req, MAX_CONTEXT_BYTES);
    await auditRoute(services, req, session, 'builds.context', `${r.bytes} bytes`, 'success');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({ contextId: r.id, bytes: r.bytes }));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await auditRoute(services, req, session, 'builds.context', 'upload', 'failure', message);
    sendMessage(res, statusOf(err) === 500 ? 400 : statusOf(err), message);
  }
}

/** Answers and returns true for the image transfer and build context routes; false leaves the request alone. */
export async function handleTransfers(services: Services, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  const m = SAVE.exec(pathname);
  if (m) {
    if (req.method !== 'GET') sendMessage(res, 405, 'Use GET.');
    else await save(services, req, res, m[1]!);
    return true;
  }
  if (pathname === '/api/images/load' || pathname === '/api/builds/context') {
    if (req.method !== 'POST') sendMessage(res, 405, 'Use POST.');
    else if (pathname === '/api/images/load') await load(services, req, res);
    else await buildContext(services, req, res);
    return true;
  }
  return false;
}
