// The layer inspector over tRPC (issue 9). Reads are for every signed-in user; "commit as image"
// changes the engine, so it is an operator mutation. Analysis needs the embedded engine; committing
// goes through the Engine interface.
import { unifiedDiff, type LiveDiffEvent } from '@berth/runtime/analysis';
import { analyzerOf } from '../../../engine/analyzer-access.ts';
import { operatorProcedure, protectedProcedure, router } from '../../trpc.ts';
import { call, engineOf } from '../engine-context.ts';
import { readContainerFile } from './container-file.ts';
import { analyzeInput, commitInput, compareInput, containerFileInput, fileContentInput, fileDiffInput, layerArg, liveChangesInput, treeInput } from './schemas.ts';

/** The image's version of a path, or null when the image does not have it (or it is not a file). */
async function imageVersion(analyzer: Awaited<ReturnType<typeof analyzerOf>>, image: string, path: string) {
  try {
    const c = await analyzer.fileContent(image, undefined, path, { length: 256 * 1024 });
    return c.type === 'file' ? c : null;
  } catch {
    return null;
  }
}

/**
 * The runtime's commit writes the new layer's blob but does not unpack it, and the analyzer reads
 * unpacked snapshots (409 otherwise). Creating a container unpacks every layer of its image, so a
 * throwaway one (never started) makes the committed image inspectable at once.
 */
async function unpackForAnalysis(engine: Awaited<ReturnType<typeof engineOf>>, image: string): Promise<void> {
  try {
    const c = await engine.createContainer({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    await c.remove({ force: true });
  } catch {
    // The image exists either way; the inspector then says which layer is not unpacked.
  }
}

export const analysisRouter = router({
  analyze: protectedProcedure.input(analyzeInput).query(async ({ ctx, input }) => {
    const analyzer = await analyzerOf(ctx);
    return call(() => analyzer.analyze(input.image, input.options));
  }),

  tree: protectedProcedure.input(treeInput).query(async ({ ctx, input }) => {
    const analyzer = await analyzerOf(ctx);
    return call(() => analyzer.imageTree(input.image, layerArg(input.layer), input.options));
  }),

  fileContent: protectedProcedure.input(fileContentInput).query(async ({ ctx, input }) => {
    const analyzer = await analyzerOf(ctx);
    return call(() => analyzer.fileContent(input.image, layerArg(input.layer), input.path, input.options));
  }),

  fileDiff: protectedProcedure.input(fileDiffInput).query(async ({ ctx, input }) => {
    const analyzer = await analyzerOf(ctx);
    return call(() => analyzer.fileDiff(input.image, layerArg(input.layer), input.path, input.options));
  }),

  compare: protectedProcedure.input(compareInput).query(async ({ ctx, input }) => {
    const analyzer = await analyzerOf(ctx);
    return call(() => analyzer.compareImages(input.a, input.b, input.options));
  }),

  /** A container's writable layer: a snapshot, then deltas as it changes (inotify on the upper dir). */
  liveChanges: protectedProcedure.input(liveChangesInput).subscription(async function* ({ ctx, input, signal }): AsyncGenerator<LiveDiffEvent> {
    const analyzer = await analyzerOf(ctx);
    const sub = await call(() => analyzer.watchContainerChanges(input.id));
    // The iterator waits for the next change; aborting must wake it so the watch is released.
    const stop = () => void sub.return();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const ev of sub) {
        yield ev;
        if (ev.type === 'end') return;
      }
    } finally {
      signal?.removeEventListener('abort', stop);
      await sub.return();
    }
  }),

  /**
   * A changed file of a container: its head as it is now and, when the image has the path too, the
   * image's version and the unified diff between them.
   */
  containerFile: protectedProcedure.input(containerFileInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    const analyzer = await analyzerOf(ctx);
    const info = await call(() => engine.getContainer(input.id).inspect());
    const [now, before] = await Promise.all([call(() => readContainerFile(engine, info.Id, input.path)), imageVersion(analyzer, info.Image, input.path)]);
    let diff: { unified: string; added: number; removed: number; skipped?: 'binary' | 'too-large' } | null = null;
    if (before && now.type === 'file') {
      if (before.binary || now.binary) diff = { unified: '', added: 0, removed: 0, skipped: 'binary' };
      else if (!before.eof || now.truncated) diff = { unified: '', added: 0, removed: 0, skipped: 'too-large' };
      else {
        const d = unifiedDiff(before.content, now.content, { oldName: `a${input.path}`, newName: `b${input.path}` });
        diff = { unified: d.text, added: d.added, removed: d.removed };
      }
    }
    return { image: info.Image, now, before: before ? { size: before.size, layer: before.layer } : null, diff };
  }),

  /** `docker commit`: the container's writable layer becomes a new image. */
  commit: operatorProcedure.input(commitInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = input.reference ? `${input.id} → ${input.reference}` : input.id;
    const colon = input.reference.lastIndexOf(':');
    const hasTag = colon > input.reference.lastIndexOf('/');
    const repo = input.reference ? (hasTag ? input.reference.slice(0, colon) : input.reference) : undefined;
    const tag = input.reference ? (hasTag ? input.reference.slice(colon + 1) : 'latest') : undefined;
    const made = await call(() => engine.getContainer(input.id).commit({ repo, tag, comment: input.comment, pause: true }));
    await unpackForAnalysis(engine, made.Id);
    return made;
  }),
});
