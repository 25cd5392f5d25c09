// Engine API wire shapes (Docker Engine API 1.41, as dockerd 20.10 sends them), named after their swagger
// definitions. Images: list, inspect, history, delete.
// Nullability follows the wire: where dockerd sends `null` for an empty list, the type says `T[] | null`.

import type { GraphDriverData, Labels } from './common.js';
import type { ContainerConfig } from './containers.js';

/** GET /images/json item (api_images_json.json). */
export interface ImageSummary {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Labels | null;
  ParentId: string;
  RepoDigests: string[] | null;
  RepoTags: string[] | null;
  SharedSize: number;
  Size: number;
  VirtualSize: number;
}

/**
 * GET /images/{name}/json (api_images_bt_json.json): swagger ImageInspect (`Image` in API 1.41), key order
 * as dockerd emits it. Nullability as moby's Go types: Config is a pointer (null for an image without
 * one), RootFS.Layers and OsVersion are omitempty.
 */
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
  GraphDriver: GraphDriverData;
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime: string };
}

/** GET /images/{name}/history item (api_images_bt_history.json). */
export interface HistoryResponseItem {
  Comment: string;
  Created: number;
  CreatedBy: string;
  /** Image ID, or "<missing>" for steps that are not images of their own. */
  Id: string;
  Size: number;
  Tags: string[] | null;
}

export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}
