// The content store's contract: immutable blobs addressed by sha256 digest.
import type { Readable } from 'node:stream';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface BlobInfo {
  digest: string;
  size: number;
}

/** Anything we can read bytes from, one chunk at a time. */
export type ByteSource = AsyncIterable<Uint8Array | string> | Uint8Array | string;

export interface ContentStore {
  /** The store's directory; leases on a data root are keyed by it. */
  readonly root: string;
  /** Streams `source` into `ingest/<ref>`, verifies it, then renames it into place. */
  ingest(ref: string, source: ByteSource, expected?: { digest?: string; size?: number }): Promise<BlobInfo>;
  has(digest: string): Promise<boolean>;
  info(digest: string): Promise<BlobInfo>;
  readStream(digest: string): Promise<Readable>;
  readBuffer(digest: string): Promise<Buffer>;
  readJson<T>(digest: string): Promise<T>;
  /** Absolute path of a blob (whether or not it exists). */
  path(digest: string): string;
  delete(digest: string): Promise<boolean>;
  list(): Promise<BlobInfo[]>;
  /** Removes every half-written ingest; call once at start, while no writer runs. */
  cleanIngest(): Promise<number>;
  /** Stores `value` as compact JSON and returns its descriptor. */
  putJson(value: unknown, mediaType: string): Promise<Descriptor>;
}
