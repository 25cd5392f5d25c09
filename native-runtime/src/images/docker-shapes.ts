// Engine API response shapes for images (API 1.41), key order as Docker emits them.
import type { ContainerConfig } from './types.js';

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  ContainerConfig: ContainerConfig;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime: string };
}

export type { ImageHistoryEntry as ImageHistoryItem } from '../engine/types.js';

export type { ImageSummary } from '../engine/types.js';

/** One item of DELETE /images/{name}. */
export type ImageDeleteItem = { Untagged: string } | { Deleted: string };
