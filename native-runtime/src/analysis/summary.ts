// The per-image numbers: layers with their history entries, efficiency and wasted bytes.
//
// Definitions (docs/layers.md):
//   sizeBytes   = Σ layer sizes = bytes of every file version in every layer
//   wastedBytes = bytes of the versions that are not in the final filesystem (a later layer
//                 overwrote or deleted them); the version that is kept never counts (unlike dive #684)
//   efficiency  = 1 − wastedBytes / sizeBytes   (1 for an image without bytes)
//   userWastedPercent = wasted bytes held by layers ≥ baseLayers / sizeBytes   (a ratio, as dive's)
import type { ImageConfig } from '../images/types.js';
import type { ImageRecord } from '../images/store.js';
import type { LayerIndex } from './layer-index.js';
import type { LayerStack } from './stack.js';
import type { HistoryItem, ImageAnalysis, InefficientFile, LayerSummary } from './types.js';

export function historyItems(cfg: ImageConfig, layerCount: number): HistoryItem[] {
  const out: HistoryItem[] = [];
  let layer = 0;
  for (const h of cfg.history ?? []) {
    const empty = !!h.empty_layer;
    out.push({
      createdBy: h.created_by ?? '',
      created: h.created ?? '',
      comment: h.comment ?? '',
      emptyLayer: empty,
      layerIndex: empty || layer >= layerCount ? null : layer,
    });
    if (!empty) layer++;
  }
  return out;
}

export function summarize(
  rec: ImageRecord,
  cfg: ImageConfig,
  tags: string[],
  indexes: readonly LayerIndex[],
  stack: LayerStack,
  opts: { baseLayers: number; topFiles: number },
): ImageAnalysis {
  const history = historyItems(cfg, indexes.length);
  const byLayer = new Map<number, HistoryItem>();
  for (const h of history) if (h.layerIndex !== null) byLayer.set(h.layerIndex, h);
  const layers: LayerSummary[] = indexes.map((idx, i) => {
    const eff = stack.effects[i]!;
    return {
      index: i,
      digest: rec.layers[i]?.digest ?? '',
      diffId: idx.diffId,
      compressedSize: rec.layers[i]?.size ?? 0,
      sizeBytes: idx.sizeBytes,
      createdBy: byLayer.get(i)?.createdBy ?? '',
      created: byLayer.get(i)?.created ?? '',
      fileCount: idx.fileCount,
      changes: { added: eff.added, modified: eff.modified, removed: eff.removed.length },
      wastedBytes: eff.wastedBytes,
    };
  });
  const sizeBytes = layers.reduce((a, l) => a + l.sizeBytes, 0);
  const wastedBytes = stack.wastedBytes;
  const userWasted = layers.filter((l) => l.index >= opts.baseLayers).reduce((a, l) => a + l.wastedBytes, 0);
  const files: InefficientFile[] = [];
  for (const [path, w] of stack.waste) if (w.wasted > 0) files.push({ path, count: w.count, sizeBytes: w.wasted });
  files.sort((a, b) => b.sizeBytes - a.sizeBytes || (a.path < b.path ? -1 : 1));
  let most: number | null = null;
  for (const l of layers) if (l.wastedBytes > 0 && (most === null || l.wastedBytes > layers[most]!.wastedBytes)) most = l.index;
  return {
    image: rec.id,
    tags,
    sizeBytes,
    finalBytes: sizeBytes - wastedBytes,
    efficiency: sizeBytes === 0 ? 1 : 1 - wastedBytes / sizeBytes,
    wastedBytes,
    userWastedPercent: sizeBytes === 0 ? 0 : userWasted / sizeBytes,
    baseLayers: opts.baseLayers,
    layers,
    history,
    inefficientFiles: files.slice(0, opts.topFiles),
    mostWastefulLayer: most,
  };
}
