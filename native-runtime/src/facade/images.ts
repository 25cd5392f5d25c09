// Image operations of the facade: errors mapped to EngineError, events emitted, containers respected.
import { PassThrough, type Readable } from 'node:stream';
import { EngineError, imageInUse, internal } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { applyChanges } from '../images/changes.js';
import { mapErrors, toEngineError } from '../images/engine-errors.js';
import { importRootfs } from '../images/import.js';
import { filterImageSummaries } from '../images/list-filter.js';
import type { ImageStores } from '../images/open.js';
import { familiarString, isImageId, parseNormalizedNamed, withDefaultTag } from '../images/reference.js';
import { normalizeContainerConfig } from '../images/types.js';
import type { Filters, ImageDeleteResponseItem, ImageHistoryEntry, ImageInspect, ImageSummary } from '../engine/types.js';

export { mapErrors, toEngineError } from '../images/engine-errors.js';

export class ImageOps {
  constructor(
    private readonly stores: ImageStores,
    private readonly events: EventBus,
    /** Image IDs used by containers, by container id. */
    private readonly containerImages: () => Array<{ id: string; imageId: string }>,
  ) {}

  list(opts: { all?: boolean; filters?: Filters | string } = {}): Promise<ImageSummary[]> {
    return mapErrors(async () => {
      const all = await this.stores.images.listImages({ all: opts.all ?? false });
      return filterImageSummaries(all, opts.filters, { createdOf: async (ref) => (await this.stores.images.get(ref)).created });
    });
  }

  inspect(ref: string): Promise<ImageInspect> {
    return mapErrors(() => this.stores.images.inspect(ref));
  }

  history(ref: string): Promise<ImageHistoryEntry[]> {
    return mapErrors(() => this.stores.images.history(ref));
  }

  async tag(ref: string, repo: string, tag?: string): Promise<void> {
    await mapErrors(async () => {
      const rec = await this.stores.images.get(ref);
      const target = `${repo}${tag ? `:${tag}` : ''}`;
      await this.stores.images.tag(rec.id, target);
      this.events.emit('image', 'tag', rec.id, { name: familiarString(withDefaultTag(parseNormalizedNamed(target))) });
    });
  }

  async remove(ref: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    return mapErrors(async () => {
      const rec = await this.stores.images.get(ref);
      const refs = await this.stores.images.references(rec.id);
      const byId = isImageId(ref) || rec.id.replace('sha256:', '').startsWith(ref.replace('sha256:', ''));
      const deletes = byId || refs.length <= 1;
      const user = this.containerImages().find((c) => c.imageId === rec.id);
      if (deletes && user) {
        if (!opts.force) throw imageInUse(isImageId(ref) ? ref : refs[0] ? familiarString(refs[0]) : ref, rec.id, user.id);
        // Forced while a container uses it: untag only, the image stays for the container (as dockerd).
        const out: ImageDeleteResponseItem[] = [];
        for (const r of refs) {
          await this.stores.images.untag(familiarString(r));
          out.push({ Untagged: familiarString(r) });
          this.events.emit('image', 'untag', rec.id, { name: familiarString(r) });
        }
        return out;
      }
      const items = (await this.stores.images.remove(ref, opts)) as ImageDeleteResponseItem[];
      for (const it of items) {
        if (it.Untagged) this.events.emit('image', 'untag', rec.id, { name: it.Untagged });
        if (it.Deleted) this.events.emit('image', 'delete', rec.id, { name: it.Deleted });
      }
      if (!opts.noprune && items.some((it) => it.Deleted === rec.id)) await this.removeUnusedParents(rec.parent, items);
      return items;
    });
  }

  /**
   * After an image is deleted, dockerd deletes its parent, and that one's parent, for as long as nothing
   * else needs them: no tag or digest, no container, no other child (moby image_delete.go, the `prune`
   * pass of imageDeleteHelper). It stops quietly at the first one that is needed. Each deletion is
   * reported in `out` as dockerd reports it: the image ID, then its removed layers.
   */
  private async removeUnusedParents(parentId: string | undefined, out: ImageDeleteResponseItem[]): Promise<void> {
    const seen = new Set<string>();
    for (let id = parentId; id && !seen.has(id); ) {
      seen.add(id);
      const rec = await this.stores.images.find(id);
      if (!rec) return;
      if ((await this.stores.images.references(rec.id)).length) return;
      if (this.containerImages().some((c) => c.imageId === rec.id)) return;
      // Without force the store refuses an image that still has children (a conflict): the chain stops there.
      const items = (await this.stores.images.remove(rec.id).catch(() => null)) as ImageDeleteResponseItem[] | null;
      if (!items?.some((it) => it.Deleted === rec.id)) return;
      for (const it of items) if (it.Deleted) this.events.emit('image', 'delete', rec.id, { name: it.Deleted });
      out.push(...items);
      id = rec.parent;
    }
  }

  /** `docker import`: progress JSON lines, ending with {"status":"sha256:…"} (or an errorDetail line). */
  async import(tar: Readable, opts: { repo?: string; tag?: string; changes?: string[]; message?: string }): Promise<Readable> {
    // Bad --change lines are a 400 before any byte is read, as dockerd answers.
    try {
      applyChanges(normalizeContainerConfig(), opts.changes ?? []);
      if (opts.repo) parseNormalizedNamed(`${opts.repo}${opts.tag ? `:${opts.tag}` : ''}`);
    } catch (e) {
      throw toEngineError(e);
    }
    const out = new PassThrough();
    const line = (o: unknown) => out.write(JSON.stringify(o) + '\r\n');
    void importRootfs(this.stores, tar, {
      ...(opts.repo ? { repo: opts.repo } : {}),
      ...(opts.tag ? { tag: opts.tag } : {}),
      ...(opts.changes ? { changes: opts.changes } : {}),
      ...(opts.message ? { message: opts.message } : {}),
      source: '-',
      onProgress: (p) => {
        if (p.phase === 'reading') line({ status: 'Importing', progressDetail: { current: p.bytes }, progress: `${(p.bytes / 1e6).toFixed(2)}MB` });
      },
    }).then(
      async (id) => {
        const name = opts.repo ? familiarString(withDefaultTag(parseNormalizedNamed(`${opts.repo}${opts.tag ? `:${opts.tag}` : ''}`))) : id;
        this.events.emit('image', 'import', id, { name: id });
        if (opts.repo) this.events.emit('image', 'tag', id, { name });
        line({ status: id });
        out.end();
      },
      (e: unknown) => {
        const err = toEngineError(e) as Error;
        const message = err instanceof Error ? err.message : String(err);
        line({ errorDetail: { message }, error: message });
        out.end();
      },
    );
    return out;
  }
}

export function notFoundInternal(msg: string, e: unknown): EngineError {
  return internal(msg, e);
}
