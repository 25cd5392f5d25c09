// pull: reference -> manifest (platform chosen from an index) -> config -> layers (3 at a time, skipped
// when present, verified while streaming) -> unpack (overlapping the downloads; the next layer to unpack
// is extracted from its bytes as they arrive and committed once its digest is verified) -> image record,
// tag and RepoDigest. Progress in `docker pull`'s JSON shape.
import { withLease } from '../archive/lease.js';
import { EngineError, badParameter } from '../errors.js';
import type { ImageStores } from '../images/open.js';
import { familiarString, parseNormalizedNamed, withDefaultTag, type Reference } from '../images/reference.js';
import type { ImageConfig, Index } from '../images/types.js';
import { chainIds } from '../snapshots/chain.js';
import { unpackImage, type LiveLayer } from '../snapshots/unpack.js';
import { RegistryPolicy } from './allow-list.js';
import type { AuthConfig } from './auth.js';
import { downloadBlob, type RetryOptions } from './blobs.js';
import { ChunkPipe } from './chunk-pipe.js';
import { RegistrySession } from './client.js';
import { recordImage } from './image-record.js';
import { getManifest, isIndexType, isManifestType, parseManifest, parsePlatform, selectPlatform, type FetchedManifest } from './manifests.js';
import { shortId, throttled, type OnProgress } from './progress.js';
import { recordSources } from './sources.js';

export interface PullOptions extends RetryOptions {
  authconfig?: AuthConfig;
  /** `os/arch[/variant]`; default linux/<host arch>. */
  platform?: string;
  onProgress?: OnProgress;
  /** Default: RegistryPolicy.fromEnv(). */
  policy?: RegistryPolicy;
  /** Parallel layer downloads (default 3, as dockerd). */
  concurrency?: number;
  timeoutMs?: number;
}

export interface PullResult {
  imageId: string;
  /** Digest of what the reference resolved to (the index for a multi-platform image). */
  digest: string;
  /** `busybox:latest` */
  reference: string;
  upToDate: boolean;
}

function parseRef(ref: string): Reference {
  try {
    const r = withDefaultTag(parseNormalizedNamed(ref));
    return r.digest !== undefined ? { domain: r.domain, path: r.path, digest: r.digest } : r;
  } catch (e) {
    throw badParameter(e instanceof Error ? e.message : String(e));
  }
}

export async function pull(stores: ImageStores, refStr: string, opts: PullOptions = {}): Promise<PullResult> {
  const ref = parseRef(refStr);
  const policy = opts.policy ?? RegistryPolicy.fromEnv();
  // Fails before any DNS lookup or connection: endpointsFor() only reads strings.
  if (!policy.allows(ref.domain) && !policy.mirrorsFor(ref.domain).length) policy.check(ref.domain);
  const emit = opts.onProgress;
  const tagOrDigest = ref.digest ?? ref.tag!;
  const shown = familiarString(ref);

  return withLease(stores, `pull ${shown}`, async (lease) => {
    const s = await RegistrySession.open(ref.domain, { authconfig: opts.authconfig, policy, pull: true, timeoutMs: opts.timeoutMs });
    const repo = ref.path;
    const top = await getManifest(s, repo, tagOrDigest);
    // As dockerd: the first message comes once the manifest is known, so a caller can still answer an
    // unknown image with a plain 404 instead of a stream.
    emit?.({ status: `Pulling from ${ref.path}`, id: tagOrDigest });
    let man: FetchedManifest = top;
    if (isIndexType(top.mediaType)) {
      const desc = selectPlatform(JSON.parse(top.bytes.toString('utf8')) as Index, parsePlatform(opts.platform));
      man = await getManifest(s, repo, desc.digest);
    }
    if (!isManifestType(man.mediaType)) throw new EngineError(400, `unsupported manifest media type ${man.mediaType}`);
    const manifest = parseManifest(man.bytes);
    for (const d of [man.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) lease.addBlob(d);
    if (!(await stores.content.has(man.digest))) {
      await stores.content.ingest(`manifest-${man.digest.slice(7)}`, man.bytes, { digest: man.digest, size: man.bytes.length });
    }

    // Config first: it names the diffIDs (and so the snapshots) and is small.
    await downloadBlob(s, repo, manifest.config, stores.content, opts);
    const config = await stores.content.readJson<ImageConfig>(manifest.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new EngineError(500, `image config has ${diffIds.length} diff_ids but the manifest lists ${manifest.layers.length} layers`);
    }
    if (opts.platform === undefined && config.os && config.os !== 'linux') {
      throw new EngineError(400, `image operating system "${config.os}" cannot be used on this platform`);
    }
    const chains = chainIds(diffIds);
    for (const c of chains) lease.addSnapshot(c);

    // Layers: "Already exists" when both blob and snapshot are here; otherwise download, 3 at a time.
    const layers = manifest.layers;
    const present: boolean[] = [];
    for (let i = 0; i < layers.length; i++) {
      present.push((await stores.content.has(layers[i]!.digest)) && (await isCommitted(stores, chains[i]!)));
    }
    const conc = Math.max(1, opts.concurrency ?? 3);
    for (let i = 0; i < layers.length; i++) {
      emit?.(present[i] ? { status: 'Already exists', progressDetail: {}, id: shortId(layers[i]!.digest) } : { status: 'Pulling fs layer', progressDetail: {}, id: shortId(layers[i]!.digest) });
    }
    const queue = layers.map((_, i) => i).filter((i) => !present[i]);
    queue.slice(conc).forEach((i) => emit?.({ status: 'Waiting', progressDetail: {}, id: shortId(layers[i]!.digest) }));
    // ready[i]: the layer's live bytes as soon as its download starts (when the unpacker can take it at
    // once), else nothing once it is downloaded and stored.
    const ready = layers.map(() => {
      let resolve!: (live: LiveLayer | undefined) => void;
      let reject!: (e: unknown) => void;
      const p = new Promise<LiveLayer | undefined>((res, rej) => ((resolve = res), (reject = rej)));
      p.catch(() => {});
      return { p, resolve, reject };
    });
    // The layer the unpacker takes next: every layer below it is committed, so it can be extracted
    // while it downloads. Later layers download on their own and are unpacked from the store.
    let unpackNext = queue[0] ?? layers.length;
    let next = 0;
    let failed: unknown;
    const worker = async (): Promise<void> => {
      while (next < queue.length && failed === undefined) {
        const i = queue[next++]!;
        const l = layers[i]!;
        const id = shortId(l.digest);
        const pipe = i === unpackNext ? new ChunkPipe() : undefined;
        const download = downloadBlob(s, repo, l, stores.content, { ...opts, onBytes: throttled(emit, 'Downloading', id), tap: pipe && ((c) => pipe.push(c)) });
        download.catch(() => {});
        if (pipe) ready[i]!.resolve({ bytes: pipe, verified: download, cancel: () => pipe.cancel() });
        try {
          await download;
          pipe?.end();
          emit?.({ status: 'Verifying Checksum', progressDetail: {}, id });
          emit?.({ status: 'Download complete', progressDetail: {}, id });
          ready[i]!.resolve(undefined);
        } catch (e) {
          pipe?.fail(e);
          failed ??= e;
          ready[i]!.reject(e);
          throw e;
        }
      }
    };
    for (let i = 0; i < layers.length; i++) if (present[i]) ready[i]!.resolve(undefined);
    const workers = Array.from({ length: Math.min(conc, queue.length) }, () => worker());

    // Unpack in order, each layer as soon as it and those below it are here (or, for the next one, as
    // soon as its bytes start to arrive).
    const sizes: number[] = [];
    const unpackAll = async (): Promise<void> => {
      for (let i = 0; i < layers.length; i++) {
        const live = await ready[i]!.p;
        const id = shortId(layers[i]!.digest);
        const r = await unpackImage(
          stores.snapshots,
          stores.content,
          layers.slice(0, i + 1).map((l, j) => ({ digest: l.digest, diffId: diffIds[j]!, ...(j === i && live ? { live } : {}) })),
          {
            onLayer: (idx, _c, state) => {
              if (idx !== i || present[i] || state !== 'extracting') return;
              const extracting = (): void => emit?.({ status: 'Extracting', progressDetail: { current: 0, total: layers[i]!.size }, id });
              // Clients expect Docker's order (Download complete, Extracting, Pull complete), even when the
              // extraction began with the first bytes.
              if (live) live.verified.then(extracting, () => {});
              else extracting();
            },
          },
        );
        if (!present[i]) emit?.({ status: 'Pull complete', progressDetail: {}, id });
        sizes[i] = r.sizes[i]!;
        unpackNext = i + 1;
      }
    };
    const results = await Promise.allSettled([...workers, unpackAll()]);
    const err = failed ?? results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
    if (err !== undefined) {
      throw err instanceof EngineError ? err : new EngineError(500, `pull ${shown}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }

    // As dockerd: "up to date" when the tag already named this image; a digest pull always "downloads".
    const tagRef = ref.tag !== undefined ? `${ref.domain}/${ref.path}:${ref.tag}` : undefined;
    const before = tagRef ? await stores.images.find(tagRef).catch(() => null) : null;
    const rec = await recordImage(stores, {
      configDigest: manifest.config.digest,
      layers,
      layerSizes: sizes,
      manifest: { digest: man.digest, mediaType: man.mediaType, bytes: man.bytes },
      tags: ref.tag !== undefined ? [`${ref.domain}/${ref.path}:${ref.tag}`] : [],
      repoDigests: [`${ref.domain}/${ref.path}@${top.digest}`],
    });
    lease.addImage(rec.id);
    await recordSources(stores.images.root, ref.domain, repo, [manifest.config.digest, ...layers.map((l) => l.digest)]);
    const upToDate = before !== null && before.id === rec.id;
    emit?.({ status: `Digest: ${top.digest}` });
    emit?.({ status: upToDate ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}` });
    return { imageId: rec.id, digest: top.digest, reference: shown, upToDate };
  });
}

async function isCommitted(stores: ImageStores, key: string): Promise<boolean> {
  try {
    return (await stores.snapshots.stat(key)).kind === 'committed';
  } catch {
    return false;
  }
}
