// Engine errors carry the same fields docker-modem puts on its errors (statusCode, reason, json), so the
// dashboard handles a failure from Berth's embedded engine and from a real Docker with one code path.

const REASONS: Record<number, string> = {
  304: 'container already started',
  400: 'bad parameter',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  500: 'server error',
  501: 'not implemented',
};

export class EngineError extends Error {
  readonly statusCode: number;
  readonly reason: string;
  /** The Engine API's error body, as docker-modem parses it from the response. */
  readonly json: { message: string };

  constructor(statusCode: number, message: string, opts: { reason?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EngineError';
    this.statusCode = statusCode;
    this.reason = opts.reason ?? REASONS[statusCode] ?? 'error';
    this.json = { message };
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError;
}

export const notFound = (msg: string): EngineError => new EngineError(404, msg);
export const conflict = (msg: string): EngineError => new EngineError(409, msg);
export const badParameter = (msg: string): EngineError => new EngineError(400, msg);
export const forbidden = (msg: string): EngineError => new EngineError(403, msg);
export const notImplemented = (msg: string): EngineError => new EngineError(501, msg);
/** 304 has no body on the wire; the message is only for logs. */
export const notModified = (): EngineError => new EngineError(304, 'Not Modified');
export function internal(msg: string, cause?: unknown): EngineError {
  return new EngineError(500, msg, { cause });
}

// Docker's exact wording for the common cases, so CLI users and scripts see what they expect.
// docker-modem's reason text is per endpoint (dockerode passes it), so each lookup names its own.
const missing = (reason: string, message: string): EngineError => new EngineError(404, message, { reason });
export const noSuchContainer = (idOrName: string): EngineError => missing('no such container', `No such container: ${idOrName}`);
export const noSuchExec = (id: string): EngineError => missing('no such exec instance', `No such exec instance: ${id}`);
export const noSuchVolume = (name: string): EngineError => missing('no such volume', `get ${name}: no such volume`);
export const noSuchNetwork = (id: string): EngineError => missing('network not found', `network ${id} not found`);
/** `ref` is shown as given, with ":latest" added when it has neither tag nor digest, as dockerd does. */
export function noSuchImage(ref: string): EngineError {
  return missing('no such image', `No such image: ${withDefaultTag(ref)}`);
}
export function nameInUse(name: string, id: string): EngineError {
  const n = name.startsWith('/') ? name : `/${name}`;
  return conflict(
    `Conflict. The container name "${n}" is already in use by container "${id}". ` +
      'You have to remove (or rename) that container to be able to reuse that name.',
  );
}
export function removeRunning(id: string): EngineError {
  return conflict(
    `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`,
  );
}
export function removePaused(id: string): EngineError {
  return conflict(
    `You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove`,
  );
}
export const notRunning = (id: string): EngineError => conflict(`Container ${id} is not running`);
export const isPaused = (id: string): EngineError =>
  conflict(`Container ${id} is paused. Unpause the container before stopping or killing`);
export function imageInUse(ref: string, imageId: string, containerId: string): EngineError {
  return conflict(
    `conflict: unable to remove repository reference "${ref}" (must force) - container ${containerId.slice(0, 12)} is using its referenced image ${shortImageId(imageId)}`,
  );
}

function withDefaultTag(ref: string): string {
  if (ref.includes('@') || /^sha256:[0-9a-f]+$/.test(ref) || /^[0-9a-f]{12,64}$/.test(ref)) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.indexOf(':', lastSlash + 1) === -1 ? `${ref}:latest` : ref;
}

function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
