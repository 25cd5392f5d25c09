// `GET /distribution/{name}/json` (dockerode's image.distribution()): what a tag currently points to in
// its registry, asked with a HEAD on the manifest so nothing is downloaded. It goes through the same
// RegistrySession as a pull, so auth, mirrors, the allow-list and offline mode apply unchanged.
import { EngineError, badParameter } from '../errors.js';
import { parseNormalizedNamed, withDefaultTag } from '../images/reference.js';
import type { RegistryPolicy } from '../registry/allow-list.js';
import type { AuthConfig } from '../registry/auth.js';
import { RegistrySession } from '../registry/client.js';
import { getManifest, headManifest } from '../registry/manifests.js';

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
