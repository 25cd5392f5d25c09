// The build executor's entry point: one Builder per Berth data root.
import type { Readable } from 'node:stream';
import type { BuildOptions } from '../../engine/engine.js';
import { BuildCache } from './cache.js';
import { startBuild, type BuilderDeps } from './builder.js';
import { pruneBuildCache, type BuildCachePruneReport } from './prune.js';
import { renderClassic } from './render.js';

export class Builder {
  readonly cache: BuildCache;

  constructor(private readonly deps: Omit<BuilderDeps, 'cache'> & { cache?: BuildCache }) {
    this.cache = deps.cache ?? BuildCache.forRoot(deps.root);
  }

  /**
   * Starts a build of a context tar (plain, gzip, bzip2 or xz). The stream (object mode) carries its
   * BuildRecords; destroying it cancels the build. Bad options throw (EngineError 400) at once.
   */
  records(context: Readable, opts: BuildOptions = {}): Readable {
    return startBuild({ ...this.deps, cache: this.cache }, context, opts);
  }

  /** The same build, its progress as Docker's classic JSON lines (what dockerd's /build answers). */
  build(context: Readable, opts: BuildOptions = {}): Readable {
    return renderClassic(this.records(context, opts), opts.q === true);
  }

  /** Frees intermediate images and snapshots no tagged image, container or running build needs. */
  prune(): Promise<BuildCachePruneReport> {
    const containerImages = this.deps.containers.all().map((r) => r.cfg.imageId);
    return pruneBuildCache(this.deps.stores, this.cache, { root: this.deps.root, containerImages });
  }
}

export { BuildCache } from './cache.js';
export { startBuild, buildDir, type BuilderDeps } from './builder.js';
export { BuildOutput } from './progress.js';
export { ClassicRenderer, renderClassic, shortId } from './render.js';
export type { BuildRecord, BuildRecordType, SourceLocation } from './records.js';
export { BuildOptionsSchema, type ParsedBuildOptions } from './options.js';
export { pruneBuildCache, type BuildCachePruneReport } from './prune.js';
export { copyInto, normalizeDest, isArchive, type CopyOptions, type Identity } from './copy.js';
export { resolveInRoot, mkdirAllIn, resolveChown, parseChmod } from './rootfs.js';
export { commitSnapshotLayer, layerOfUpper, LAYER_GZIP_LEVEL, type CommittedLayer } from './layer.js';
export { runtimeArtifacts, removeRuntimeArtifacts, RUNTIME_MOUNT_TARGETS } from './mountpoints.js';
export { childConfig, createStepImage, type StepImageInput, type StepLayer } from './image.js';
export { StepRootfs, cleanupStaleWorkspaces, BUILD_SNAPSHOT_PREFIX } from './workspace.js';
