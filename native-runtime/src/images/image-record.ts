// What the image store keeps per image (<root>/images/meta/<id>.json): a leaf, so the store and its
// in-memory index (record-index.ts) both use it without importing each other.
import type { Descriptor } from '../content/types.js';

export interface ImageRecord {
  /** sha256:<hex> of the config blob. */
  id: string;
  manifestDigest: string;
  manifestMediaType: string;
  layers: Descriptor[];
  diffIds: string[];
  /** Unpacked size of each layer (Docker's DiffSize); image Size is their sum. */
  layerSizes: number[];
  /** config.created, copied for sorting without reading the blob. */
  created: string;
  /** Local parent image (classic builder steps), for history and ParentId. */
  parent?: string;
  lastTagTime?: string;
  /** config.config.Labels, copied so a list needs no config read (absent in records of older versions). */
  labels?: Record<string, string> | null;
}
