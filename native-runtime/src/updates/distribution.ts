// `GET /distribution/{name}/json` (dockerode's image.distribution()): what a tag currently points to in
// its registry, asked with a HEAD on the manifest so nothing is downloaded. It goes through the same
// RegistrySession as a pull, so auth, mirrors, the allow-list and offline mode apply unchanged.
import { EngineError, badParameter } from '../errors.js';
import { parseNormalizedNamed, withDefaultTag } from '../images/reference.js';
import type { RegistryPolicy } from '../registry/allow-list.js';
import type { AuthConfig } from '../registry/auth.js';
import { RegistrySession } from '../registry/client.js';
import { getManifest, headManifest, isIndexType, parseManifest, parsePlatform, selectPlatform } from '../registry/manifests.js';
import { scopeFor } from '../registry/client.js';
import { readAll } from '../registry/transport.js';
import type { Index } from '../images/types.js';

/** The Engine API's DistributionInspect (Platforms stay empty: a HEAD does not read the manifest). */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: { architecture: string; os: string; variant?: string }[];
}

export interface DistributionOptions {
  authconfig?: AuthConfig;
  policy: RegistryPolicy;
  /** Per request (connect, and each wait for data). */
  timeoutMs?: number;
}

export async function distributionInspect(refStr: string, opts: DistributionOptions): Promise<DistributionInspect> {
  let ref;
  try {
    ref = withDefaultTag(parseNormalizedNamed(refStr));
  } catch (e) {
    throw badParameter(e instanceof Error ? e.message : String(e));
  }
  const s = await RegistrySession.open(ref.domain, { authconfig: opts.authconfig, policy: opts.policy, pull: true, timeoutMs: opts.timeoutMs ?? 15_000 });
  const reference = ref.digest ?? ref.tag!;
  const head = await headManifest(s, ref.path, reference);
  if (head === null) throw new EngineError(404, `manifest for ${refStr} not found`, { reason: 'not found' });
  if (head.digest?.startsWith('sha256:')) {
    return { Descriptor: { mediaType: head.mediaType ?? '', digest: head.digest, size: head.size ?? 0 }, Platforms: [] };
  }
  // A registry that does not announce the digest on HEAD: read the manifest and hash it (as dockerd does).
  const got = await getManifest(s, ref.path, reference);
  return { Descriptor: { mediaType: got.mediaType, digest: got.digest, size: got.bytes.length }, Platforms: [] };
}

/**
 * When the image a registry serves under `digest` was built: its config's `created`. A Berth addition (a
 * HEAD cannot tell, and Docker's DistributionInspect has no such field): one manifest, for an index the
 * host platform's manifest, and the config blob (a few KiB) — no layer is downloaded. Null when the config
 * has no `created`.
 */
export async function imageCreated(refStr: string, digest: string, opts: DistributionOptions): Promise<string | null> {
  let ref;
  try {
    ref = parseNormalizedNamed(refStr);
  } catch (e) {
    throw badParameter(e instanceof Error ? e.message : String(e));
  }
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw badParameter(`invalid digest ${JSON.stringify(digest)}`);
  const s = await RegistrySession.open(ref.domain, { authconfig: opts.authconfig, policy: opts.policy, pull: true, timeoutMs: opts.timeoutMs ?? 15_000 });
  let got = await getManifest(s, ref.path, digest);
  if (isIndexType(got.mediaType)) {
    const pick = selectPlatform(JSON.parse(got.bytes.toString('utf8')) as Index, parsePlatform(undefined));
    got = await getManifest(s, ref.path, pick.digest);
  }
  const config = parseManifest(got.bytes).config;
  const res = await s.request({ method: 'GET', path: `/v2/${ref.path}/blobs/${config.digest}`, scopes: [scopeFor(ref.path, 'pull')] });
  if (res.status !== 200) throw await s.fail(res, `fetching image config ${config.digest}`);
  const bytes = await readAll(res, 1 << 20);
  const created = (JSON.parse(bytes.toString('utf8')) as { created?: unknown }).created;
  return typeof created === 'string' && created ? created : null;
}
