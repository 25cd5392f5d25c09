// Manifests: GET with every format we understand, digest verified; index/list platform selection; HEAD; PUT.
import { EngineError } from '../errors.js';
import { hostArchitecture, MEDIA_TYPES, type Descriptor, type Index, type Manifest } from '../images/types.js';
import { sha256Digest } from '../util/ids.js';
import { scopeFor, type RegistrySession } from './client.js';
import { drain, readAll } from './transport.js';

export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
].join(', ');

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export function isIndexType(mt: string): boolean {
  return mt === MEDIA_TYPES.dockerManifestList || mt === MEDIA_TYPES.ociIndex;
}

export function isManifestType(mt: string): boolean {
  return mt === MEDIA_TYPES.dockerManifest || mt === MEDIA_TYPES.ociManifest;
}

/** The media type: the JSON's own `mediaType` wins over Content-Type (which some servers get wrong). */
export function manifestMediaType(bytes: Buffer, contentType?: string): string {
  let j: { mediaType?: string; manifests?: unknown; config?: unknown; schemaVersion?: number };
  try {
    j = JSON.parse(bytes.toString('utf8')) as typeof j;
  } catch {
    throw new EngineError(500, 'manifest is not valid JSON');
  }
  if (j.schemaVersion === 1) throw new EngineError(400, 'Docker Image manifest schema 1 is no longer supported; push the image again with a newer tool');
  if (typeof j.mediaType === 'string' && j.mediaType) return j.mediaType;
  const ct = (contentType ?? '').split(';')[0]!.trim();
  if (isIndexType(ct) || isManifestType(ct)) return ct;
  return Array.isArray(j.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
}

/** GET /v2/<repo>/manifests/<tag|digest>, verifying the bytes against the digest asked for or announced. */
export async function getManifest(s: RegistrySession, repo: string, reference: string): Promise<FetchedManifest> {
  const res = await s.request({ method: 'GET', path: `/v2/${repo}/manifests/${reference}`, headers: { Accept: MANIFEST_ACCEPT }, scopes: [scopeFor(repo, 'pull')] });
  if (res.status !== 200) {
    const what = res.status === 404 ? `manifest for ${s.domain}/${repo}:${reference} not found` : `fetching manifest ${s.domain}/${repo}:${reference}`;
    throw await s.fail(res, what);
  }
  const bytes = await readAll(res, 4 << 20);
  const digest = sha256Digest(bytes);
  if (reference.includes(':') && reference !== digest) {
    throw new EngineError(500, `manifest verification failed for digest ${reference}: got ${digest}`);
  }
  const announced = res.headers['docker-content-digest'];
  if (typeof announced === 'string' && announced.startsWith('sha256:') && announced !== digest) {
    throw new EngineError(500, `manifest verification failed: registry announced ${announced}, content is ${digest}`);
  }
  return { bytes, digest, mediaType: manifestMediaType(bytes, res.headers['content-type']) };
}

/** HEAD a manifest: its digest, or null when the registry does not have it. */
export async function headManifest(s: RegistrySession, repo: string, reference: string): Promise<{ digest?: string; size?: number; mediaType?: string } | null> {
  const res = await s.request({ method: 'HEAD', path: `/v2/${repo}/manifests/${reference}`, headers: { Accept: MANIFEST_ACCEPT }, scopes: [scopeFor(repo, 'pull')] });
  await drain(res);
  if (res.status === 404) return null;
  if (res.status !== 200) throw await s.fail(res, `checking manifest ${s.domain}/${repo}:${reference}`);
  const out: { digest?: string; size?: number; mediaType?: string } = {};
  const ct = res.headers['content-type']?.split(';')[0]?.trim();
  if (ct) out.mediaType = ct;
  const d = res.headers['docker-content-digest'];
  if (typeof d === 'string') out.digest = d;
  if (res.headers['content-length']) out.size = Number(res.headers['content-length']);
  return out;
}

/** PUT the exact bytes; returns the digest the registry now serves for `reference`. */
export async function putManifest(s: RegistrySession, repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
  const res = await s.request({
    method: 'PUT',
    path: `/v2/${repo}/manifests/${reference}`,
    headers: { 'Content-Type': mediaType },
    body: () => bytes,
    scopes: [scopeFor(repo, 'pull,push')],
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await s.fail(res, `pushing manifest for ${s.domain}/${repo}:${reference}`);
  await drain(res);
  const digest = sha256Digest(bytes);
  const served = res.headers['docker-content-digest'];
  if (typeof served === 'string' && served !== digest) {
    throw new EngineError(500, `registry stored the manifest as ${served}, but its bytes hash to ${digest}`);
  }
  return digest;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(p: string | undefined): Platform {
  if (!p) return { os: 'linux', architecture: hostArchitecture(), ...(hostArchitecture() === 'arm64' ? { variant: 'v8' } : {}) };
  const [os, architecture, variant] = p.split('/');
  if (!os || !architecture) throw new EngineError(400, `invalid platform ${JSON.stringify(p)}: expected os/arch[/variant]`);
  const out: Platform = { os, architecture };
  if (variant) out.variant = variant;
  return out;
}

/** Picks the manifest for `want` from an index / manifest list (variant optional, as containerd matches). */
export function selectPlatform(index: Index, want: Platform): Descriptor {
  const cands = index.manifests.filter((d) => isManifestType(d.mediaType) && d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture);
  const exact = cands.find((d) => (d.platform?.variant ?? '') === (want.variant ?? ''));
  const pick = exact ?? cands.find((d) => !d.platform?.variant) ?? cands[0];
  if (!pick) {
    const have = index.manifests.map((d) => (d.platform ? `${d.platform.os}/${d.platform.architecture}${d.platform.variant ? '/' + d.platform.variant : ''}` : 'unknown')).join(', ');
    throw new EngineError(404, `no matching manifest for ${want.os}/${want.architecture}${want.variant ? '/' + want.variant : ''} in the manifest list entries (have: ${have || 'none'})`);
  }
  return pick;
}

export function parseManifest(bytes: Buffer): Manifest {
  const m = JSON.parse(bytes.toString('utf8')) as Manifest;
  if (!m.config || !Array.isArray(m.layers)) throw new EngineError(500, 'manifest has no config or layers');
  return m;
}
