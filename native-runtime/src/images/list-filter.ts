// GET /images/json filters, as dockerd 20.10 applies them (moby daemon/images/images.go): dangling,
// label, before, since, and reference (path.Match patterns against each tag's familiar string or name,
// so `docker images foo` and `docker images 'foo*:1'` list only matching repositories). Works on the
// store's summaries, so the store's listing stays a plain listing.
import { badParameter } from '../errors.js';
import { boolFilter, checkFilterNames, matchKVList, normalizeFilters } from '../events/filters.js';
import type { Filters, ImageSummary } from '../engine/types.js';

const ACCEPTED = ['dangling', 'label', 'before', 'since', 'reference'];
const NONE_TAG = '<none>:<none>';
const NONE_DIGEST = '<none>@<none>';

export interface ImageFilterDeps {
  /** Creation time (RFC 3339, nanoseconds) of an image named by id or reference; throws 404 when unknown. */
  createdOf(idOrRef: string): Promise<string>;
}

/** Validates the filters (400 as dockerd) and returns the summaries they keep, tags narrowed by `reference`. */
export async function filterImageSummaries(list: ImageSummary[], filters: Filters | string | undefined, deps: ImageFilterDeps): Promise<ImageSummary[]> {
  const f = normalizeFilters(filters);
  if (f.size === 0) return list;
  checkFilterNames(f, ACCEPTED);
  // dockerd accepts only the words here (not 1/0): `invalid filter 'dangling=[1]'`.
  const dangling = boolFilter(f, 'dangling', { true: true, false: false });
  const patterns = (f.get('reference') ?? []).map(compilePathMatch);
  const before = f.get('before')?.length ? createdNs(await deps.createdOf(f.get('before')!.at(-1)!)) : undefined;
  const since = f.get('since')?.length ? createdNs(await deps.createdOf(f.get('since')!.at(-1)!)) : undefined;
  const created = new Map<string, bigint>();
  if (before !== undefined || since !== undefined) for (const s of list) created.set(s.Id, createdNs(await deps.createdOf(s.Id)));
  const parents = new Set(list.map((s) => s.ParentId).filter(Boolean));
  const out: ImageSummary[] = [];
  for (const s of list) {
    const c = created.get(s.Id);
    if (before !== undefined && c! >= before) continue;
    if (since !== undefined && c! <= since) continue;
    if (f.has('label') && !matchKVList(f, 'label', s.Labels)) continue;
    const untagged = isNone(s);
    let tags = untagged ? [] : (s.RepoTags ?? []);
    let digests = untagged ? [] : (s.RepoDigests ?? []);
    if (patterns.length) {
      tags = tags.filter((t) => patterns.some((p) => familiarMatch(p, t)));
      digests = digests.filter((d) => patterns.some((p) => familiarMatch(p, d)));
      if (!tags.length && !digests.length) continue; // images without a matching reference are left out
    }
    if (untagged) {
      if (dangling === false) continue;
      if (dangling === true && parents.has(s.Id)) continue; // dangling lists heads only (no children)
    } else if (dangling === true && tags.length) {
      continue;
    }
    out.push(patterns.length ? { ...s, RepoTags: tags.length ? tags : null, RepoDigests: digests.length ? digests : null } as ImageSummary : s);
  }
  return out;
}

function isNone(s: ImageSummary): boolean {
  return (s.RepoTags ?? []).every((t) => t === NONE_TAG) && (s.RepoDigests ?? []).every((d) => d === NONE_DIGEST);
}

/** reference.FamiliarMatch: the familiar string, else its name without tag or digest. */
function familiarMatch(re: RegExp, familiar: string): boolean {
  if (re.test(familiar)) return true;
  const at = familiar.indexOf('@');
  let name = at >= 0 ? familiar.slice(0, at) : familiar;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  return re.test(name);
}

/**
 * Go's path.Match as an anchored RegExp: `*` and `?` stop at `/`, `[...]` classes (`^` negates, ranges),
 * `\` escapes. A malformed pattern is a 400 here (dockerd answers its path.ErrBadPattern).
 */
export function compilePathMatch(pattern: string): RegExp {
  const bad = (): never => {
    throw badParameter(`invalid reference pattern ${JSON.stringify(pattern)}: syntax error in pattern`);
  };
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\') {
      if (i + 1 >= pattern.length) bad();
      out += escapeRe(pattern[++i]!);
    } else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let first = true;
      for (;;) {
        if (j >= pattern.length) bad();
        let c = pattern[j]!;
        if (c === ']' && !first) break;
        first = false;
        if (c === '\\') {
          if (j + 1 >= pattern.length) bad();
          c = pattern[++j]!;
        } else if (c === '-' || c === ']' || c === '[') bad();
        let item = escapeClass(c);
        if (pattern[j + 1] === '-' && pattern[j + 2] !== undefined && pattern[j + 2] !== ']') {
          let hi = pattern[j + 2]!;
          j += 2;
          if (hi === '\\') {
            if (j + 1 >= pattern.length) bad();
            hi = pattern[++j]!;
          }
          if (hi < c) bad();
          item += '-' + escapeClass(hi);
        }
        cls += item;
        j++;
      }
      // A class never matches '/', as in path.Match.
      out += `(?!/)[${cls}]`;
      i = j;
    } else out += escapeRe(ch);
  }
  return new RegExp(out + '$');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function escapeClass(c: string): string {
  return c.replace(/[\\\]^-]/g, '\\$&');
}

/** RFC 3339 with up to nanoseconds → ns since the epoch, so images created in the same ms still order. */
function createdNs(s: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  const ms = Date.parse(m ? `${m[1]}${m[3]}` : s);
  if (Number.isNaN(ms)) return 0n;
  const frac = m?.[2] ? BigInt(m[2].padEnd(9, '0').slice(0, 9)) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}
