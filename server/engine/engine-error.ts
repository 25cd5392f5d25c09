// What an engine error says, whichever engine raised it: EngineError (embedded) and docker-modem errors
// (remote) both carry statusCode and a message. tRPC and the plain HTTP routes map this their own way.

export interface EngineFailure {
  /** The engine's HTTP status, or 500 when it gave none. */
  status: number;
  message: string;
}

export function engineFailureOf(err: unknown): EngineFailure {
  const e = err as { statusCode?: number; message?: string; json?: { message?: string } | null } | null | undefined;
  const message = e?.json?.message ?? e?.message ?? String(err);
  const s = e?.statusCode;
  return { status: typeof s === 'number' && s >= 100 && s < 600 ? s : 500, message };
}
