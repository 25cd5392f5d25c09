// When the server says UNAUTHORIZED to a page that was signed in (the session or token was revoked, an
// open subscription was cut, the session expired), go to the login page with the server's reason and
// come back afterwards; leaving the page on screen with stale data would hide that the user is out.
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AnyRouter } from '@trpc/server';

const PUBLIC_PAGES = ['/login', '/setup'];

function isUnauthorized(err: unknown): err is TRPCClientError<AnyRouter> {
  return err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}

function toLogin(err: TRPCClientError<AnyRouter>): void {
  if (typeof window === 'undefined' || PUBLIC_PAGES.includes(window.location.pathname)) return;
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/login?error=${encodeURIComponent(err.message)}&next=${encodeURIComponent(next)}`);
}

export function signedOutLink<R extends AnyRouter>(): TRPCLink<R> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const sub = next(op).subscribe({
          next(value) {
            const result = value.result as { type?: string; error?: unknown };
            if (result.type === 'state' && isUnauthorized(result.error)) toLogin(result.error);
            observer.next(value);
          },
          error(err) {
            if (isUnauthorized(err)) toLogin(err);
            observer.error(err);
          },
          complete() {
            observer.complete();
          },
        });
        return () => sub.unsubscribe();
      });
}
