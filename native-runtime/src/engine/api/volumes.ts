// Engine API wire shapes (Docker Engine API 1.41, as dockerd 20.10 sends them), named after their swagger
// definitions. Volumes: Volume, create options, list.
// Nullability follows the wire: where dockerd sends `null` for an empty list, the type says `T[] | null`.

import type { Labels } from './common.js';

export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Labels | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local' | 'global';
  UsageData?: { RefCount: number; Size: number } | null;
}

export interface VolumeCreateOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Labels;
}

export interface VolumeListResponse {
  Volumes: Volume[] | null;
  Warnings: string[] | null;
}
