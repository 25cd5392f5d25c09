// Browsing a registry: the distribution spec's catalog (GET /v2/_catalog) and tag list
// (GET /v2/<name>/tags/list) over the same session as pulls (policy, auth challenges, errors), both
// paged with `n` and `last` as the spec's Link header says.
import { EngineError } from '../errors.js';
import type { RegistryPolicy } from './allow-list.js';
import type { AuthConfig } from './auth.js';
import { RegistrySession, scopeFor } from './client.js';
import { readAll, type HttpResponse } from './transport.js';

export interface BrowseOptions {
  policy: RegistryPolicy;
  authconfig?: AuthConfig;
  /** Page size (the registry may cap it). */
  n?: number;
  /** Continue after this entry (from the previous page's `next`). */
  last?: string;
  timeoutMs?: number;
}

export interface Page<T> {
  items: T[];
  /** The `last` to ask for the next page, or null on the last page. */
  next: string | null;
}

/** The `last` parameter of a `Link: </v2/_catalog?last=x&n=100>; rel="next"` header. */
export function nextFromLink(link: string | string[] | undefined): string | null {
  const value = Array.isArray(link) ? link[0] : link;
  const m = value ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(value) : null;
  if (!m) return null;
  try {
    return new URL(m[1]!, 'http://x').searchParams.get('last');
  } catch {
    return null;
  }
}

async function getJson(s: RegistrySession, path: string, scope: string, what: string): Promise<{ body: unknown; res: HttpResponse }> {
  const res = await s.request({ method: 'GET', path, scopes: [scope], headers: { Accept: 'application/json' } });
  if (res.status !== 200) throw await s.fail(res, what);
  const raw = await readAll(res, 16 << 20);
  try {
    return { body: JSON.parse(raw.toString('utf8')), res };
  } catch {
    throw new EngineError(502, `${what}: the registry did not answer JSON`);
  }
}

const query = (o: BrowseOptions) => {
  const q = new URLSearchParams();
  q.set('n', String(o.n ?? 100));
  if (o.last) q.set('last', o.last);
  return q.toString();
};

/** Repository names of `domain`, one page. Registries without a catalog (Docker Hub) answer an error. */
export async function listRepositories(domain: string, o: BrowseOptions): Promise<Page<string>> {
  const s = await RegistrySession.open(domain, { policy: o.policy, authconfig: o.authconfig, pull: false, timeoutMs: o.timeoutMs });
  const { body, res } = await getJson(s, `/v2/_catalog?${query(o)}`, 'registry:catalog:*', `catalog of ${domain}`);
  const repos = (body as { repositories?: unknown }).repositories;
  if (!Array.isArray(repos) || !repos.every((r) => typeof r === 'string')) throw new EngineError(502, `catalog of ${domain}: no repositories list in the answer`);
  return { items: repos as string[], next: nextFromLink(res.headers['link']) };
}

/** Tags of `repo` on `domain`, one page. */
export async function listTags(domain: string, repo: string, o: BrowseOptions): Promise<Page<string>> {
  const s = await RegistrySession.open(domain, { policy: o.policy, authconfig: o.authconfig, pull: false, timeoutMs: o.timeoutMs });
  const { body, res } = await getJson(s, `/v2/${repo}/tags/list?${query(o)}`, scopeFor(repo, 'pull'), `tags of ${domain}/${repo}`);
  const tags = (body as { tags?: unknown }).tags;
  // A repository whose tags were all deleted answers "tags": null.
  if (tags !== null && tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))) throw new EngineError(502, `tags of ${domain}/${repo}: no tags list in the answer`);
  return { items: (tags as string[] | null) ?? [], next: nextFromLink(res.headers['link']) };
}
