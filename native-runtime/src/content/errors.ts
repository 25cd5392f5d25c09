// Content errors carry a stable `code` so callers (and the Engine API) can map them without parsing text.
export type ContentErrorCode =
  | 'ENOSPC'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'NOT_FOUND'
  | 'INGEST_BUSY'
  | 'INVALID_DIGEST';

export class ContentError extends Error {
  readonly code: ContentErrorCode;
  constructor(code: ContentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContentError';
    this.code = code;
  }
}
