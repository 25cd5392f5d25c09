// Public result shapes of the layer inspector. Everything here is plain JSON (no Maps, no Buffers, no
// bigints), so a tRPC procedure can return it unchanged. Paths are absolute inside the image ("/etc/hosts").

/** added / modified / removed relative to the layers below; null = present but unchanged. */
export type ChangeMark = 'added' | 'modified' | 'removed';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface LayerChanges {
  added: number;
  modified: number;
  removed: number;
}

export interface LayerSummary {
  /** 0 = the base layer. */
  index: number;
  /** Digest of the layer blob (what the manifest lists). */
  digest: string;
  /** Digest of the uncompressed tar (rootfs.diff_ids). */
  diffId: string;
  /** Size of the blob as stored/pulled (usually gzip). */
  compressedSize: number;
  /** Bytes of file content in the layer, each inode once (Docker's DiffSize). */
  sizeBytes: number;
  /** created_by of the layer's history entry ('' when the config has no history for it). */
  createdBy: string;
  created: string;
  /** Non-directory entries the layer holds (whiteouts not counted). */
  fileCount: number;
  changes: LayerChanges;
  /** Bytes of this layer's file versions that the final filesystem does not use. */
  wastedBytes: number;
}

/** One entry of the image config's history, joined to its layer (layerIndex null for an empty layer). */
export interface HistoryItem {
  createdBy: string;
  created: string;
  comment: string;
  emptyLayer: boolean;
  layerIndex: number | null;
}

export interface InefficientFile {
  path: string;
  /** How many layers hold a version of this path. */
  count: number;
  /** Bytes of this path's versions that are not in the final filesystem. */
  sizeBytes: number;
}

export interface ImageAnalysis {
  /** Image ID (config digest). */
  image: string;
  /** The references pointing at it ("busybox:latest"). */
  tags: string[];
  /** Sum of the layers' sizeBytes (= total bytes of all file versions across layers). */
  sizeBytes: number;
  /** Bytes of the final filesystem (what a container sees). */
  finalBytes: number;
  /** 1 − wastedBytes / sizeBytes (1 for an empty image). */
  efficiency: number;
  /** Bytes of file versions that are not in the final filesystem: overwritten or deleted by a later layer. */
  wastedBytes: number;
  /** Wasted bytes held by layers after the base ones, over sizeBytes (dive's userWastedPercent, as a ratio). */
  userWastedPercent: number;
  /** How many bottom layers count as the base image for userWastedPercent. */
  baseLayers: number;
  layers: LayerSummary[];
  history: HistoryItem[];
  /** Most wasteful paths first. */
  inefficientFiles: InefficientFile[];
  /** The layer index that wastes the most bytes, or null when nothing is wasted. */
  mostWastefulLayer: number | null;
}

export interface TreeNode {
  name: string;
  path: string;
  type: EntryType;
  /** Files: their size; directories: the size of everything below in this view. */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkTarget?: string;
  change: ChangeMark | null;
  /** Something below this directory changed in the selected layer. */
  changedBelow?: boolean;
  /** The layer whose version this is. */
  layer: number;
  /** Directories: the number of children that match the query (before paging). */
  childCount?: number;
  /** Present when the node was expanded. */
  children?: TreeNode[];
  /** Children left out by offset/limit. */
  more?: number;
}

export interface TreeResult {
  image: string;
  layer: number;
  mode: 'layer' | 'aggregated';
  node: TreeNode;
}

export interface FileContent {
  path: string;
  /** The layer whose version is shown. */
  layer: number;
  type: EntryType;
  size: number;
  binary: boolean;
  offset: number;
  /** Bytes covered by this answer. */
  length: number;
  /** Text: the bytes as UTF-8; binary: an `xxd`-style hexdump of them. */
  content: string;
  eof: boolean;
  linkTarget?: string;
}

export interface FileDiff {
  path: string;
  layer: number;
  /** The layer of the version below ('null' when the file was added by this layer). */
  baseLayer: number | null;
  change: ChangeMark | null;
  oldSize: number;
  newSize: number;
  /** Why no text diff was made: a side is binary or larger than maxBytes. */
  skipped?: 'binary' | 'too-large' | 'not-a-file';
  /** A unified diff (`--- a/path`, `+++ b/path`, `@@` hunks); '' when identical or skipped. */
  unified: string;
  addedLines: number;
  removedLines: number;
}

export interface CompareEntry {
  path: string;
  change: ChangeMark;
  type: EntryType;
  /** Size in image a (0 when added). */
  sizeA: number;
  /** Size in image b (0 when removed). */
  sizeB: number;
}

export interface ImageComparison {
  a: string;
  b: string;
  /** Layers both images have at the same position from the base, by diffId. */
  sharedLayers: Array<{ index: number; diffId: string }>;
  /** First layer index where they differ (= sharedLayers.length); null when the layer lists are equal. */
  divergeIndex: number | null;
  totals: { added: number; modified: number; removed: number; addedBytes: number; removedBytes: number; modifiedBytesDelta: number };
  /** Sorted by path; non-directories and directories whose attributes changed. */
  entries: CompareEntry[];
  /** Entries left out by offset/limit. */
  more: number;
}

/** A path of a container's writable layer, classified as `docker diff` does. */
export interface LiveChange {
  path: string;
  kind: 'A' | 'M' | 'D';
  type: EntryType | 'whiteout';
  size: number;
  mtimeMs: number;
}

export type LiveDiffEvent =
  | { type: 'snapshot'; seq: number; changes: LiveChange[] }
  | { type: 'delta'; seq: number; upserts: LiveChange[]; removed: string[] }
  | { type: 'end'; seq: number; reason: string };
