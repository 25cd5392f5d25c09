// zod schemas for the inspector's options: the analyzer parses with them, and a tRPC router can use
// them as its input validators unchanged.
import { z } from 'zod';

/** An absolute path inside the image, normalised: "/usr/bin", never with "..", "." or a trailing "/". */
export const ImagePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .transform((p) => '/' + p.split('/').filter((c) => c !== '' && c !== '.').join('/'))
  .refine((p) => !p.split('/').includes('..'), { message: 'path must not contain ".."' });

export const ImageRefSchema = z.string().min(1).max(512);
export const LayerIndexSchema = z.number().int().min(0);

export const TreeOptionsSchema = z.object({
  /** "layer": this layer only; "aggregated": the filesystem up to this layer. */
  mode: z.enum(['layer', 'aggregated']).default('aggregated'),
  /** The directory to answer for. */
  path: ImagePathSchema.default('/'),
  /** Levels of children to include (0: the node alone). */
  depth: z.number().int().min(0).max(64).default(1),
  sort: z.enum(['name', 'size']).default('name'),
  /** Default: name ascending, size descending. */
  order: z.enum(['asc', 'desc']).optional(),
  /** Case-insensitive substring of the path. */
  filter: z.string().max(1024).optional(),
  changedOnly: z.boolean().default(false),
  /** Children per directory. */
  limit: z.number().int().min(1).max(10_000).default(500),
  /** Skip this many children of the top node (paging a big directory). */
  offset: z.number().int().min(0).default(0),
  /** Nodes in the whole answer. */
  maxNodes: z.number().int().min(1).max(50_000).default(5_000),
});
export type TreeOptionsInput = z.input<typeof TreeOptionsSchema>;
export type TreeOptions = z.output<typeof TreeOptionsSchema>;

export const FileContentOptionsSchema = z.object({
  offset: z.number().int().min(0).default(0),
  /** Bytes to return; binary files are answered as a hexdump of this many bytes. */
  length: z.number().int().min(1).max(1 << 20).default(64 * 1024),
});
export type FileContentOptionsInput = z.input<typeof FileContentOptionsSchema>;

export const FileDiffOptionsSchema = z.object({
  /** Larger sides are not diffed (skipped: 'too-large'). */
  maxBytes: z.number().int().min(1).max(16 << 20).default(1 << 20),
  context: z.number().int().min(0).max(100).default(3),
});
export type FileDiffOptionsInput = z.input<typeof FileDiffOptionsSchema>;

export const CompareOptionsSchema = z.object({
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(50_000).default(1000),
  /** Only entries whose path contains this (case-insensitive). */
  filter: z.string().max(1024).optional(),
});
export type CompareOptionsInput = z.input<typeof CompareOptionsSchema>;

export const AnalyzeOptionsSchema = z.object({
  /** Bottom layers that belong to the base image, left out of userWastedPercent (dive: 1). */
  baseLayers: z.number().int().min(0).default(1),
  /** Entries of inefficientFiles. */
  topFiles: z.number().int().min(0).max(10_000).default(100),
});
export type AnalyzeOptionsInput = z.input<typeof AnalyzeOptionsSchema>;

export const WatchOptionsSchema = z.object({
  /** Quiet time after a change before the changed directories are rescanned. */
  debounceMs: z.number().int().min(0).max(5_000).default(50),
  /** Rescan of the known directories even without an event (catches what inotify cannot see). */
  rescanMs: z.number().int().min(100).max(60_000).default(2_000),
});
export type WatchOptionsInput = z.input<typeof WatchOptionsSchema>;

export type CompareOptions = z.output<typeof CompareOptionsSchema>;
export type FileContentOptions = z.output<typeof FileContentOptionsSchema>;
export type FileDiffOptions = z.output<typeof FileDiffOptionsSchema>;
export type AnalyzeOptions = z.output<typeof AnalyzeOptionsSchema>;
export type WatchOptions = z.output<typeof WatchOptionsSchema>;
