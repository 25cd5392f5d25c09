// An SSE subscription that fails on the server sends its error, then the EventSource reconnects; the
// browser's bare "error" Event on that reconnect becomes tRPC's "Unknown error" and hides the cause
// (`connect ENOENT …`). This link keeps the last real error of each subscription and shows it instead.
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AnyRouter } from '@trpc/server';

/** True for the client's placeholder error built from a browser Event (no server message in it). */
export function isBareConnectionError(err: unknown): boolean {
  return err instanceof TRPCClientError && !err.shape && err.message === 'Unknown error';
}

export function keepCauseLink<R extends AnyRouter>(): TRPCLink<R> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let lastReal: unknown = null;
        const sub = next(op).subscribe({
          next(value) {
            const result = value.result as { type?: string; error?: unknown };
            if (result.type === 'state' && result.error) {
              if (isBareConnectionError(result.error)) {
                if (lastReal) return observer.next({ ...value, result: { ...result, error: lastReal } as typeof value.result });
              } else lastReal = result.error;
            }
            observer.next(value);
          },
          error(err) {
            observer.error(isBareConnectionError(err) && lastReal ? (lastReal as typeof err) : err);
          },
          complete() {
            observer.complete();
          },
        });
        return () => sub.unsubscribe();
      });
}
