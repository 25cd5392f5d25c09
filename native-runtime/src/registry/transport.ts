// HTTP(S) transport for registry traffic. Decides the scheme from the policy (plain HTTP only for loopback or
// insecure-listed registries), maps docker.io to its real endpoint, follows redirects (re-checking the policy
// for every new host), and never adds credentials to a request that leaves the registry's host.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { DOCKER_HUB, DOCKER_HUB_ENDPOINT, type RegistryPolicy } from './allow-list.js';

export interface Endpoint {
  /** The registry as references name it (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  /** scheme://host[:port] to talk to. */
  base: URL;
  /** HTTPS without certificate verification (insecure registries only). */
  skipVerify: boolean;
  mirror: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  url: URL;
}

export type RequestBody = Buffer | Readable;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  skipVerify?: boolean;
  /** Idle socket timeout (ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });
const httpsInsecureAgent = new https.Agent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false });

/** The endpoints to try for `domain`, best first. Mirrors only for pulls from docker.io. */
export function endpointsFor(domain: string, policy: RegistryPolicy, opts: { pull: boolean }): Endpoint[] {
  const out: Endpoint[] = [];
  if (opts.pull) {
    for (const m of policy.mirrorsFor(domain)) {
      out.push({ domain, base: new URL(m.origin), skipVerify: m.protocol === 'https:' && policy.isInsecure(m.host), mirror: true });
    }
  }
  if (!policy.allows(domain)) return out;
  const host = domain === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : domain;
  if (policy.isInsecure(domain)) {
    // Loopback registries are nearly always plain HTTP; other insecure ones usually HTTPS with a private CA.
    const loop = /^(localhost|127\.|\[::1\])/.test(domain);
    const plain: Endpoint = { domain, base: new URL(`http://${host}`), skipVerify: false, mirror: false };
    const tls: Endpoint = { domain, base: new URL(`https://${host}`), skipVerify: true, mirror: false };
    out.push(...(loop ? [plain, tls] : [tls, plain]));
  } else {
    out.push({ domain, base: new URL(`https://${host}`), skipVerify: false, mirror: false });
  }
  return out;
}

export class TransportError extends Error {
  readonly code: string | undefined;
  constructor(message: string, opts: { cause?: unknown; code?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TransportError';
    this.code = opts.code;
  }
}

/** One request, no redirects. The caller owns (and must consume or destroy) `body`. */
export function send(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = req.url.protocol === 'https:';
    const mod = isHttps ? https : http;
    const agent = isHttps ? (req.skipVerify ? httpsInsecureAgent : httpsAgent) : httpAgent;
    const headers: Record<string, string> = { 'User-Agent': 'berth/0.1', ...req.headers };
    if (Buffer.isBuffer(req.body)) headers['Content-Length'] = String(req.body.length);
    const r = mod.request(req.url, { method: req.method, headers, agent, signal: req.signal }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
    });
    r.setTimeout(req.timeoutMs ?? 60_000, () => r.destroy(new TransportError(`${req.method} ${req.url.host}: no data for ${Math.round((req.timeoutMs ?? 60_000) / 1000)}s`, { code: 'ETIMEDOUT' })));
    r.on('error', (e: NodeJS.ErrnoException) => reject(wrapNetError(e, req)));
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else {
      req.body.on('error', (e) => r.destroy(e));
      req.body.pipe(r);
    }
  });
}

export function wrapNetError(e: NodeJS.ErrnoException, req: { method: string; url: URL }): Error {
  if (e instanceof TransportError) return e;
  const what = e.code === 'ECONNREFUSED' ? 'connection refused'
    : e.code === 'ECONNRESET' ? 'connection reset by peer'
    : e.code === 'EPIPE' ? 'connection closed by peer'
    : e.code === 'ENOTFOUND' ? 'no such host'
    : e.message;
  return new TransportError(`${req.method} ${req.url.origin}${req.url.pathname}: ${what}`, { cause: e, code: e.code });
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readAll(res: HttpResponse, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.body.destroy();
      throw new TransportError(`${res.url.href}: response larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Discards a body so the socket can be reused. */
export function drain(res: HttpResponse): Promise<void> {
  return new Promise((resolve) => {
    res.body.on('end', resolve);
    res.body.on('error', () => resolve());
    res.body.on('close', () => resolve());
    res.body.resume();
  });
}

export function isNetworkError(e: unknown): boolean {
  if (e instanceof TransportError) return true;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ERR_STREAM_PREMATURE_CLOSE|UND_ERR)/.test(code);
}
