// tRPC inputs of the layer inspector: the runtime's own option schemas, plus which image/layer/path.
import { z } from 'zod';
import {
  AnalyzeOptionsSchema,
  CompareOptionsSchema,
  FileContentOptionsSchema,
  FileDiffOptionsSchema,
  ImagePathSchema,
  ImageRefSchema,
  TreeOptionsSchema,
} from '@berth/runtime/analysis';

/** -1 (or absent) is the top layer, as the analyzer takes it. */
const layer = z.number().int().min(-1).optional();
const layerArg = (l: number | undefined): number | undefined => (l === undefined || l < 0 ? undefined : l);
export { layerArg };

export const analyzeInput = z.object({ image: ImageRefSchema, options: AnalyzeOptionsSchema.optional() });
export const treeInput = z.object({ image: ImageRefSchema, layer, options: TreeOptionsSchema.optional() });
export const fileContentInput = z.object({ image: ImageRefSchema, layer, path: ImagePathSchema, options: FileContentOptionsSchema.optional() });
export const fileDiffInput = z.object({ image: ImageRefSchema, layer, path: ImagePathSchema, options: FileDiffOptionsSchema.optional() });
export const compareInput = z.object({ a: ImageRefSchema, b: ImageRefSchema, options: CompareOptionsSchema.optional() });

const containerId = z.string().min(1).max(256);
export const liveChangesInput = z.object({ id: containerId });
export const containerFileInput = z.object({ id: containerId, path: ImagePathSchema });
export const commitInput = z.object({
  id: containerId,
  /** "repo" or "repo:tag"; empty makes an untagged image. */
  reference: z
    .string()
    .max(255)
    .regex(/^$|^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/, 'a repository name such as "myapp" or "myapp:v2"')
    .default(''),
  comment: z.string().max(1024).optional(),
});
