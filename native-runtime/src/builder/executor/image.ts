// Every build step yields an image, as in Docker's classic builder: the parent's config with the
// step's config, one more history entry (created_by, empty_layer for a step without a layer), the
// new layer (if any) appended to rootfs.diff_ids, and the parent recorded for history() and
// ParentId. Intermediate images stay untagged: they are the build cache.
import type { Lease } from '../../archive/lease.js';
import type { ImageStores } from '../../images/open.js';
import type { ImageRecord } from '../../images/store.js';
import { rfc3339Nano } from '../../images/time.js';
import { hostArchitecture, normalizeContainerConfig, normalizeImageConfig, type ContainerConfig, type HistoryEntry, type ImageConfig } from '../../images/types.js';
import type { WrittenLayer } from '../../layers/write.js';

export interface StepLayer extends WrittenLayer {
  /** Bytes of file content (Docker's DiffSize: history's Size). */
  diffSize: number;
}

export interface StepImageInput {
  parent: ImageRecord | null;
  parentConfig: ImageConfig | null;
  /** The container config after the step. */
  config: ContainerConfig;
  /** The Cmd recorded for the step (container_config.Cmd, joined into created_by). */
  stepCmd: string[];
  layer: StepLayer | null;
  /** The container the step ran in (RUN), or that was committed. */
  containerId?: string;
  author?: string;
  comment?: string;
  /** history created_by; default: stepCmd joined with spaces. */
  createdBy?: string;
}

/** The child image config of `parent` for one step. */
export function childConfig(inp: StepImageInput, now = rfc3339Nano()): ImageConfig {
  const parentId = inp.parent?.id ?? '';
  const history: HistoryEntry[] = [...(inp.parentConfig?.history ?? [])];
  const entry: HistoryEntry = { created: now, created_by: inp.createdBy ?? inp.stepCmd.join(' ') };
  if (inp.author) entry.author = inp.author;
  if (inp.comment) entry.comment = inp.comment;
  if (!inp.layer) entry.empty_layer = true;
  history.push(entry);
  const cfg: ImageConfig = {
    architecture: inp.parentConfig?.architecture ?? hostArchitecture(),
    config: normalizeContainerConfig({ ...inp.config, Image: parentId }),
    container_config: normalizeContainerConfig({
      ...inp.config,
      Cmd: inp.stepCmd,
      Image: parentId,
      Hostname: inp.containerId ? inp.containerId.slice(0, 12) : inp.config.Hostname,
    }),
    created: now,
    history,
    os: inp.parentConfig?.os ?? 'linux',
    rootfs: { type: 'layers', diff_ids: [...(inp.parent?.diffIds ?? []), ...(inp.layer ? [inp.layer.diffId] : [])] },
  };
  if (inp.parentConfig?.variant) cfg.variant = inp.parentConfig.variant;
  if (inp.author) cfg.author = inp.author;
  if (inp.comment) cfg.comment = inp.comment;
  if (inp.containerId) cfg.container = inp.containerId;
  if (parentId) cfg.parent = parentId;
  return cfg;
}

export async function createStepImage(stores: ImageStores, inp: StepImageInput, lease?: Lease): Promise<ImageRecord> {
  return (await createStepImageWithConfig(stores, inp, lease)).record;
}

/**
 * createStepImage, also handing back the config it wrote: the next step's parent config. Reading it back
 * from the store cost a read and parse of a config that holds every step's history, per step (issue #16).
 */
export async function createStepImageWithConfig(stores: ImageStores, inp: StepImageInput, lease?: Lease): Promise<{ record: ImageRecord; config: ImageConfig }> {
  // Normalized here (the store's own pass then keeps it as it is), so the config handed back holds the
  // very history entries that were written and the next step shares them instead of copying them.
  const config = normalizeImageConfig(childConfig(inp));
  const layers = [...(inp.parent?.layers ?? [])];
  const sizes = [...(inp.parent?.layerSizes ?? [])];
  if (inp.layer) {
    layers.push({ mediaType: inp.layer.mediaType, digest: inp.layer.digest, size: inp.layer.size });
    sizes.push(inp.layer.diffSize);
    lease?.addBlob(inp.layer.digest);
  }
  const input: Parameters<ImageStores['images']['create']>[0] = { config, layers, layerSizes: sizes };
  if (inp.parent) input.parent = inp.parent.id;
  const rec = await stores.images.create(input);
  lease?.addImage(rec.id);
  return { record: rec, config };
}
