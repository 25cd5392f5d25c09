// Engine API response shapes for images (API 1.41), key order as Docker emits them.

/** One declaration of the wire shape: engine/types.ts (named after the swagger definition). */
export type { ImageInspect } from '../engine/types.js';

export type { ImageHistoryEntry as ImageHistoryItem } from '../engine/types.js';

export type { ImageSummary } from '../engine/types.js';

/** One item of DELETE /images/{name}. */
export type ImageDeleteItem = { Untagged: string } | { Deleted: string };
