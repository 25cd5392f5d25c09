// Layer errors name the tar entry at fault, so a refused image can be diagnosed from the message alone.
export type LayerErrorCode = 'UNSAFE_ENTRY' | 'UNSUPPORTED_ENTRY' | 'UNSUPPORTED_COMPRESSION' | 'INVALID_TAR';

export class LayerError extends Error {
  readonly code: LayerErrorCode;
  readonly entry: string | undefined;
  constructor(code: LayerErrorCode, message: string, entry?: string) {
    super(entry !== undefined ? `${message} (tar entry ${JSON.stringify(entry)})` : message);
    this.name = 'LayerError';
    this.code = code;
    this.entry = entry;
  }
}
