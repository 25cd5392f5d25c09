// Image errors carry an HTTP-ish status so the Engine API can answer as Docker does.
export class ImageError extends Error {
  readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID';
  readonly statusCode: number;
  constructor(code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID', message: string) {
    super(message);
    this.name = 'ImageError';
    this.code = code;
    this.statusCode = code === 'NOT_FOUND' ? 404 : code === 'CONFLICT' ? 409 : 400;
  }
}
