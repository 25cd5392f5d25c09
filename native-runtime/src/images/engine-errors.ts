// Errors of the image layer (ImageError, a bad reference) as the EngineError the Engine API answers with.
import { badParameter, EngineError } from '../errors.js';
import { ImageError } from './errors.js';
import { InvalidReferenceError } from './reference.js';

export function toEngineError(e: unknown): unknown {
  if (e instanceof EngineError) return e;
  if (e instanceof ImageError) return new EngineError(e.statusCode, e.message, { cause: e });
  if (e instanceof InvalidReferenceError) return badParameter(e.message);
  return e;
}

export async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toEngineError(e);
  }
}
