// push: every blob the registry lacks (HEAD first; cross-repo mount when another repo on the same registry
// is known to have it; else monolithic or chunked upload), then the manifest LAST, byte for byte as stored.
import { withLease } from '../archive/lease.js';
import { EngineError, badParameter } from '../errors.js';
import type { ImageStores } from '../images/open.js';
import { fullName, parseNormalizedNamed, withDefaultTag, type Reference } from '../images/reference.js';
import { RegistryPolicy } from './allow-list.js';
import type { AuthConfig } from './auth.js';
import { headBlob, uploadBlob } from './blobs.js';
import { RegistrySession, scopeFor } from './client.js';
import { putManifest } from './manifests.js';
import { shortId, throttled, type OnProgress } from './progress.js';
import { recordSources, sourcesFor } from './sources.js';

export interface PushOptions {
  authconfig?: AuthConfig;
  onProgress?: OnProgress;
  policy?: RegistryPolicy;
  /** Upload blobs in PATCH chunks of this size instead of one PUT. */
  chunkSize?: number;
  /** Parallel blob uploads (default 3). */
  concurrency?: number;
  timeoutMs?: number;
}

export interface PushResult {
  tag: string;
  /** The manifest digest the registry now serves for the tag. */
  digest: string;
  size: number;
}

export async function push(stores: ImageStores, refStr: string, opts: PushOptions = {}): Promise<PushResult> {
  let ref: Reference;
  try {
    ref = withDefaultTag(parseNormalizedNamed(refStr));
  } catch (e) {
    throw badParameter(e instanceof Error ? e.message : String(e));
  }
  if (ref.digest !== undefined) throw badParameter(`cannot push a digest reference (${refStr}); push a tag`);
  const policy = opts.policy ?? RegistryPolicy.fromEnv();
  policy.check(ref.domain); // before anything touches the network
  const rec = await stores.images.get(refStr).catch(() => {
    throw new EngineError(404, `An image does not exist locally with the tag: ${fullName(ref)}`, { reason: 'not found' });
  });
  const emit = opts.onProgress;
  const repo = ref.path;
  const tag = ref.tag!;

  return withLease(stores, `push ${refStr}`, async (lease) => {
    lease.addImage(rec.id);
    emit?.({ status: `The push refers to repository [${fullName(ref)}]` });
    const s = await RegistrySession.open(ref.domain, { authconfig: opts.authconfig, policy, pull: false, timeoutMs: opts.timeoutMs });
    const pushScope = scopeFor(repo, 'pull,push');
    const layers = rec.layers;
    const ids = layers.map((l, i) => shortId(rec.diffIds[i] ?? l.digest));
    const conc = Math.max(1, opts.concurrency ?? 3);
    for (let i = 0; i < layers.length; i++) emit?.({ status: 'Preparing', progressDetail: {}, id: ids[i]! });
    for (let i = conc; i < layers.length; i++) emit?.({ status: 'Waiting', progressDetail: {}, id: ids[i]! });

    // Top layer first, as Docker shows them; all blobs are independent until the manifest.
    const order = layers.map((_, i) => layers.length - 1 - i);
    let next = 0;
    let failed: unknown;
    const worker = async (): Promise<void> => {
      while (next < order.length && failed === undefined) {
        const i = order[next++]!;
        const l = layers[i]!;
        const id = ids[i]!;
        try {
          if ((await headBlob(s, repo, l.digest, [pushScope])) !== null) {
            emit?.({ status: 'Layer already exists', progressDetail: {}, id });
            continue;
          }
          const mountFrom = (await sourcesFor(stores.images.root, ref.domain, l.digest)).filter((r) => r !== repo);
          const r = await uploadBlob(s, repo, l, stores.content, { skipHead: true, mountFrom, chunkSize: opts.chunkSize, onBytes: throttled(emit, 'Pushing', id) });
          if (r.status === 'mounted') emit?.({ status: `Mounted from ${r.from}`, progressDetail: {}, id });
          else if (r.status === 'exists') emit?.({ status: 'Layer already exists', progressDetail: {}, id });
          else emit?.({ status: 'Pushed', progressDetail: {}, id });
        } catch (e) {
          failed ??= e;
          throw e;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(conc, order.length) }, () => worker()));
    const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined || bad) throw failed ?? bad!.reason;

    const cfgInfo = await stores.content.info(rec.id);
    const mountCfg = (await sourcesFor(stores.images.root, ref.domain, rec.id)).filter((r) => r !== repo);
    await uploadBlob(s, repo, { digest: rec.id, size: cfgInfo.size }, stores.content, { mountFrom: mountCfg });

    const bytes = await stores.content.readBuffer(rec.manifestDigest);
    const digest = await putManifest(s, repo, tag, bytes, rec.manifestMediaType);
    await recordSources(stores.images.root, ref.domain, repo, [rec.id, ...layers.map((l) => l.digest)]);
    await stores.images.tag(rec.id, `${fullName(ref)}@${digest}`);
    emit?.({ status: `${tag}: digest: ${digest} size: ${bytes.length}` });
    emit?.({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: bytes.length } });
    return { tag, digest, size: bytes.length };
  });
}
