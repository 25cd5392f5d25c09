// The sources of one COPY/ADD step, gathered from wherever they live (the build context, another
// stage's or an image's rootfs, heredoc bodies, a URL), resolved and hashed for the cache key and the
// created_by comment.
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryPolicy, splitHostPort } from '../../registry/allow-list.js';
import { combinedSourceHash } from '../created-by.js';
import type { EntryMeta } from '../context/extract.js';
import { resolveSources, SourceError, type SourceInfo } from '../context/sources.js';
import type { AddInstruction, CopyInstruction } from '../instructions/types.js';

export interface SourceRoots {
  /** Where local sources are read from: the context dir, or a stage's / image's rootfs (--from). */
  root: string;
  fromImage: boolean;
  owners?: ReadonlyMap<string, EntryMeta>;
  /** A private scratch directory (heredoc bodies, downloads). */
  tmpDir: string;
  policy: RegistryPolicy;
  signal?: AbortSignal;
}

export interface CollectedSources {
  infos: SourceInfo[];
  hash: string;
}

const MAX_DOWNLOAD = 4 * 1024 * 1024 * 1024;

/** Resolves the sources in the order written; heredoc files come after the named sources. */
export async function collectSources(ins: CopyInstruction | AddInstruction, r: SourceRoots): Promise<CollectedSources> {
  const urls = new Set(ins.kind === 'ADD' ? ins.urlSources : []);
  const infos: SourceInfo[] = [];
  const local: string[] = [];
  const flushLocal = async (): Promise<void> => {
    if (!local.length) return;
    const res = await resolveSources(r.root, local.splice(0), { symlinks: r.fromImage ? 'scope' : 'refuse', fromImage: r.fromImage, ...(r.owners ? { owners: r.owners } : {}) });
    infos.push(...res.infos);
  };
  for (const s of ins.sources) {
    if (!urls.has(s)) {
      local.push(s);
      continue;
    }
    await flushLocal();
    infos.push(await download(s, r, ins.kind === 'ADD' ? ins.checksum : undefined));
  }
  await flushLocal();
  if (ins.contents.length) {
    const dir = path.join(r.tmpDir, 'heredoc');
    await fsp.mkdir(dir, { recursive: true });
    for (const c of ins.contents) {
      const name = path.posix.basename(c.path);
      await fsp.writeFile(path.join(dir, name), c.data, { mode: 0o644 });
      await fsp.chmod(path.join(dir, name), 0o644);
    }
    const res = await resolveSources(dir, ins.contents.map((c) => path.posix.basename(c.path)), { symlinks: 'scope', fromImage: true });
    infos.push(...res.infos);
  }
  if (infos.length === 0) throw new SourceError('NO_SOURCES', 'no source files were specified');
  return { infos, hash: combinedSourceHash(infos.map((i) => i.hash)) };
}

/** ADD <url>: fetched only when the registry policy lets Berth reach that host (never when offline). */
async function download(url: string, r: SourceRoots, checksum?: string): Promise<SourceInfo> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SourceError('NOT_FOUND', `invalid URL ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SourceError('FORBIDDEN', `remote URL ${url} cannot be fetched: only http and https URLs are supported`);
  if (!r.policy.allows(u.host) && !r.policy.allows(splitHostPort(u.host).host)) {
    throw new SourceError('FORBIDDEN', `remote URL ${url} cannot be fetched: network access is off${r.policy.offline ? ' (offline mode)' : ' (the host is not in the allow-list)'}`);
  }
  const res = await fetch(u, { redirect: 'follow', ...(r.signal ? { signal: r.signal } : {}) });
  if (!res.ok || !res.body) throw new SourceError('NOT_FOUND', `remote URL ${url} cannot be fetched: HTTP ${res.status}`);
  let name = decodeURIComponent(path.posix.basename(u.pathname)) || '__unnamed__';
  if (name === '/' || name === '.' || name === '..') name = '__unnamed__';
  const dir = path.join(r.tmpDir, 'url-' + createHash('sha256').update(url).digest('hex').slice(0, 12));
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  const hash = createHash('sha256');
  let size = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  body.on('data', (c: Buffer) => {
    size += c.length;
    hash.update(c);
    if (size > MAX_DOWNLOAD) body.destroy(new SourceError('FORBIDDEN', `remote URL ${url} is larger than ${MAX_DOWNLOAD} bytes`));
  });
  await pipeline(body, createWriteStream(file, { mode: 0o600 }));
  if (checksum && checksum !== 'sha256:' + hash.digest('hex')) throw new SourceError('FORBIDDEN', `remote URL ${url}: content does not match --checksum=${checksum}`);
  await fsp.chmod(file, 0o600);
  const lm = res.headers.get('last-modified');
  if (lm && !Number.isNaN(Date.parse(lm))) await fsp.utimes(file, new Date(Date.parse(lm)), new Date(Date.parse(lm)));
  const res2 = await resolveSources(dir, [name], { symlinks: 'scope', fromImage: true });
  return { ...res2.infos[0]!, origPath: name };
}
