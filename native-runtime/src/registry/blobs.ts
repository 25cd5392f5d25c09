// Blobs: HEAD, streaming GET into the content store (verified while streaming, resumed with Range after a
// dropped connection, bounded retries with back-off), and uploads (monolithic or chunked; cross-repo mount).
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { ContentError } from '../content/errors.js';
import type { ContentStore, Descriptor } from '../content/types.js';
import { EngineError } from '../errors.js';
import { isRetryable, scopeFor, type RegistrySession } from './client.js';
import { drain, isNetworkError, type HttpResponse } from './transport.js';

export interface RetryOptions {
  /** Attempts after the first failure (per blob). Default 3. */
  retries?: number;
  /** First back-off delay; doubles each time. Default 250 ms. */
  retryDelayMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function headBlob(s: RegistrySession, repo: string, digest: string, scopes?: string[]): Promise<number | null> {
  const res = await s.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, scopes: scopes ?? [scopeFor(repo, 'pull')] });
  await drain(res);
  if (res.status === 404) return null;
  if (res.status === 200) return Number(res.headers['content-length'] ?? -1);
  throw await s.fail(res, `checking blob ${digest} in ${s.domain}/${repo}`);
}

// One download per (store, digest) at a time in this process; a second caller waits for the first.
const inflight = new Map<string, Promise<void>>();

export interface DownloadOptions extends RetryOptions {
  onBytes?: (current: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * Gets every byte of the blob once, in order, as it arrives (before it is verified: only a resolved
   * downloadBlob says the bytes were right). When the blob is stored already, its bytes come from the
   * store. A returned promise pauses the download until it settles.
   */
  tap?: (chunk: Buffer) => Promise<void> | undefined;
}

/**
 * Streams a blob into `content` unless it is there already. The bytes are hashed as they arrive (the
 * content store's ingest) and renamed into place only when digest and size match: a corrupt or short
 * blob is never stored. A connection dropped mid-body is resumed with `Range: bytes=N-`.
 */
export async function downloadBlob(
  s: RegistrySession,
  repo: string,
  desc: Pick<Descriptor, 'digest' | 'size'>,
  content: ContentStore,
  opts: DownloadOptions = {},
): Promise<void> {
  const key = `${content.path(desc.digest)}`;
  for (;;) {
    const running = inflight.get(key);
    if (!running) break;
    await running.catch(() => {});
  }
  if (await content.has(desc.digest)) {
    if (opts.tap) await tapStored(content, desc.digest, opts.tap);
    return;
  }
  const p = doDownload(s, repo, desc, content, opts);
  inflight.set(key, p);
  try {
    await p;
  } finally {
    inflight.delete(key);
  }
}

async function doDownload(
  s: RegistrySession,
  repo: string,
  desc: Pick<Descriptor, 'digest' | 'size'>,
  content: ContentStore,
  opts: DownloadOptions,
): Promise<void> {
  const retries = opts.retries ?? 3;
  const delay = opts.retryDelayMs ?? 250;
  let failures = 0;
  let received = 0;
  let lastErr: unknown;
  const path = `/v2/${repo}/blobs/${desc.digest}`;
  const scopes = [scopeFor(repo, 'pull')];

  async function* body(): AsyncGenerator<Buffer> {
    for (;;) {
      let res: HttpResponse | undefined;
      try {
        const headers: Record<string, string> = {};
        if (received > 0) headers['Range'] = `bytes=${received}-`;
        res = await s.request({ method: 'GET', path, headers, scopes, signal: opts.signal });
        if (res.status !== 200 && res.status !== 206) throw await s.fail(res, `fetching blob ${desc.digest} from ${s.domain}/${repo}`);
        let skip = res.status === 200 ? received : 0; // no Range support: discard what we already have
        for await (const c of res.body as AsyncIterable<Buffer>) {
          let chunk = c;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          received += chunk.length;
          opts.onBytes?.(received, desc.size);
          const paused = opts.tap?.(chunk);
          if (paused) await paused;
          yield chunk;
        }
        // A body that ends early without an error is a dropped connection too.
        if (received < desc.size) throw Object.assign(new Error(`connection closed after ${received} of ${desc.size} bytes`), { code: 'ECONNRESET' });
        return;
      } catch (e) {
        res?.body.destroy();
        if (!(isNetworkError(e) || isRetryable(e) || (e as NodeJS.ErrnoException).code === 'ECONNRESET') || opts.signal?.aborted) throw e;
        lastErr = e;
        if (++failures > retries) {
          const msg = e instanceof Error ? e.message : String(e);
          throw new EngineError(502, `downloading ${desc.digest} from ${s.domain}/${repo} failed after ${failures} attempts: ${msg}`, { reason: 'bad gateway', cause: lastErr });
        }
        await sleep(delay * 2 ** (failures - 1));
      }
    }
  }

  try {
    await content.ingest(`pull-${desc.digest.slice(7)}`, body(), { digest: desc.digest, size: desc.size });
  } catch (e) {
    if (e instanceof ContentError && (e.code === 'DIGEST_MISMATCH' || e.code === 'SIZE_MISMATCH')) {
      throw new EngineError(500, `filesystem layer verification failed for digest ${desc.digest}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** Feeds a stored blob to a tap, for a caller that asked for the bytes of a blob it did not have to fetch. */
async function tapStored(content: ContentStore, digest: string, tap: NonNullable<DownloadOptions['tap']>): Promise<void> {
  for await (const chunk of await content.readStream(digest)) {
    const paused = tap(chunk as Buffer);
    if (paused) await paused;
  }
}

export type UploadResult = { status: 'exists' } | { status: 'mounted'; from: string } | { status: 'pushed' };

export interface UploadOptions {
  /** Another repository on the same registry known to have the blob: try a cross-repo mount first. */
  mountFrom?: string[];
  /** Upload in PATCH chunks of this many bytes; default: one monolithic PUT. */
  chunkSize?: number;
  onBytes?: (current: number, total: number) => void;
  /** Skip the HEAD (the caller did it). */
  skipHead?: boolean;
}

function progressStream(onBytes: ((c: number, t: number) => void) | undefined, start: number, total: number): Transform {
  let n = start;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      onBytes?.(n, total);
      cb(null, chunk);
    },
  });
}

function fileRange(content: ContentStore, digest: string, start: number, endInclusive: number, onBytes: UploadOptions['onBytes'], total: number): Readable {
  const src = createReadStream(content.path(digest), { start, end: endInclusive });
  const t = progressStream(onBytes, start, total);
  src.on('error', (e) => t.destroy(e));
  return src.pipe(t);
}

function locationOf(s: RegistrySession, res: HttpResponse): URL {
  const loc = res.headers.location;
  if (!loc) throw new EngineError(500, `registry ${s.domain} answered ${res.status} without a Location`);
  const u = new URL(loc, s.endpoint.base);
  s.checkAux(u);
  return u;
}

/** Makes sure `repo` on the registry has the blob: HEAD, then mount or upload. */
export async function uploadBlob(s: RegistrySession, repo: string, desc: Pick<Descriptor, 'digest' | 'size'>, content: ContentStore, opts: UploadOptions = {}): Promise<UploadResult> {
  const pushScope = scopeFor(repo, 'pull,push');
  if (!opts.skipHead && (await headBlob(s, repo, desc.digest, [pushScope])) !== null) return { status: 'exists' };
  let location: URL | undefined;
  for (const from of opts.mountFrom ?? []) {
    if (from === repo) continue;
    const q = new URLSearchParams({ mount: desc.digest, from });
    const res = await s.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/?${q}`, headers: { 'Content-Length': '0' }, scopes: [pushScope, scopeFor(from, 'pull')] });
    if (res.status === 201) {
      await drain(res);
      return { status: 'mounted', from };
    }
    if (res.status === 202) {
      location = locationOf(s, res); // mount refused, but an upload session was opened for us
      await drain(res);
      break;
    }
    await drain(res); // 401/403/404 on the source: just upload
  }
  if (!location) {
    const res = await s.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { 'Content-Length': '0' }, scopes: [pushScope] });
    if (res.status !== 202) throw await s.fail(res, `starting upload of ${desc.digest} to ${s.domain}/${repo}`);
    location = locationOf(s, res);
    await drain(res);
  }
  const size = desc.size;
  if (opts.chunkSize && opts.chunkSize > 0 && size > 0) {
    for (let off = 0; off < size; off += opts.chunkSize) {
      const end = Math.min(size, off + opts.chunkSize) - 1;
      const loc: URL = location;
      const res = await s.request({
        method: 'PATCH',
        path: loc,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - off + 1), 'Content-Range': `${off}-${end}` },
        body: () => fileRange(content, desc.digest, off, end, opts.onBytes, size),
        scopes: [pushScope],
      });
      if (res.status !== 202) throw await s.fail(res, `uploading ${desc.digest} to ${s.domain}/${repo} (chunk at ${off})`);
      location = locationOf(s, res);
      await drain(res);
    }
    const put = new URL(location);
    put.searchParams.set('digest', desc.digest);
    const res = await s.request({ method: 'PUT', path: put, headers: { 'Content-Length': '0' }, scopes: [pushScope] });
    if (res.status !== 201) throw await s.fail(res, `completing upload of ${desc.digest} to ${s.domain}/${repo}`);
    await drain(res);
    return { status: 'pushed' };
  }
  const put = new URL(location);
  put.searchParams.set('digest', desc.digest);
  const res = await s.request({
    method: 'PUT',
    path: put,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
    body: () => (size === 0 ? Buffer.alloc(0) : fileRange(content, desc.digest, 0, size - 1, opts.onBytes, size)),
    scopes: [pushScope],
  });
  if (res.status !== 201) throw await s.fail(res, `uploading ${desc.digest} to ${s.domain}/${repo}`);
  await drain(res);
  return { status: 'pushed' };
}
