import type { IncomingMessage, ServerResponse } from 'node:http';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { FieldError } from './field-error.ts';
import { auditTargetFromInput, writeAudit, type AuditActor } from '../audit/audit-log.ts';
import { cutMessage, liveCredentials, type CutReason } from '../auth/live-credentials.ts';
import { checkRequestSite, clientIp, sitePolicyOf } from '../auth/request-origin.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { resolveRequestSession } from '../auth/tokens-request.ts';
import type { RequestSession } from '../auth/tokens.ts';
import type { Services } from '../services.ts';

export interface Context {
  services: Services;
  req: IncomingMessage | null;
  res: ServerResponse | null;
  /** `session.token` is set when an API token (Bearer) authenticated the request. */
  session: RequestSession | null;
  ip: string;
  /** Procedures may name the audit actor or target when the middleware cannot know it (login). */
  audit: { actor?: AuditActor; target?: string };
}

export async function createContext(services: Services, req: IncomingMessage | null, res: ServerResponse | null): Promise<Context> {
  const session = req ? await resolveRequestSession(services.db, req) : null;
  return { services, req, res, session, ip: req ? clientIp(req) : 'local', audit: {} };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        stack: undefined,
        // Field errors let forms show the server's validation next to each field.
        fieldErrors: cause instanceof ZodError ? fieldErrors(cause) : cause instanceof FieldError ? cause.fields : null,
      },
    };
  },
});

function fieldErrors(err: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of err.issues) {
    const key = issue.path.join('.') || '_';
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

function actorOf(ctx: Context): AuditActor {
  const user = ctx.session?.user;
  return ctx.audit.actor ?? (user ? { type: 'user', id: user.id, name: user.username } : { type: 'anonymous', name: 'anonymous' });
}

/** Every mutation, allowed or not, lands in the audit log with its actor, target, result and IP. */
const audited = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== 'mutation') return next();
  const result = await next();
  const input = await getRawInput().catch(() => undefined);
  const denied = !result.ok && (result.error.code === 'UNAUTHORIZED' || result.error.code === 'FORBIDDEN');
  await writeAudit(ctx.services.db, {
    actor: actorOf(ctx),
    action: path,
    target: ctx.audit.target ?? auditTargetFromInput(input),
    result: result.ok ? 'success' : denied ? 'denied' : 'failure',
    error: result.ok ? null : result.error.message,
    ip: ctx.ip,
  });
  return result;
});

/** In-process calls (req null) are trusted; an HTTP request must name this host and come from it. */
function siteRefusal(ctx: Context): string | null {
  if (!ctx.req) return null;
  const v = checkRequestSite(ctx.req, sitePolicyOf(ctx.services.config));
  return v.ok ? null : `Cross-origin request refused: ${v.reason}.`;
}

/** The HTTP handler refuses cross-site requests first; this keeps every mutation same-origin wherever it is mounted. */
const sameSiteMutations = t.middleware(({ ctx, type, next }) => {
  const refused = type === 'mutation' ? siteRefusal(ctx) : null;
  if (refused) throw new TRPCError({ code: 'FORBIDDEN', message: refused });
  return next();
});

/**
 * Yields what `source` yields until the credential behind the subscription is revoked; then ends it
 * with UNAUTHORIZED, which the SSE stream sends to the client as an error event before it closes.
 */
async function* untilRevoked<T>(source: AsyncIterable<T>, session: RequestSession): AsyncGenerator<T, unknown> {
  let revoke: (reason: CutReason) => void = () => undefined;
  const revoked = new Promise<{ cut: CutReason }>((resolve) => (revoke = (cut) => resolve({ cut })));
  const untrack = liveCredentials.track(session, revoke);
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const step = await Promise.race([it.next(), revoked]);
      if ('cut' in step) throw new TRPCError({ code: 'UNAUTHORIZED', message: cutMessage(step.cut) });
      if (step.done) return step.value;
      yield step.value;
    }
  } finally {
    untrack();
    // Not awaited: a generator parked on its next event returns once the request's signal aborts.
    void it.return?.()?.catch(() => undefined);
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

/** Subscriptions (SSE) end the moment their session or token is revoked, not at their next request. */
const liveSubscriptions = t.middleware(async ({ ctx, type, next }) => {
  const result = await next();
  if (type !== 'subscription' || !result.ok || !ctx.session || !isAsyncIterable(result.data)) return result;
  return { ...result, data: untilRevoked(result.data, ctx.session) };
});

export const publicProcedure = t.procedure.use(audited).use(sameSiteMutations).use(liveSubscriptions);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
  return next({ ctx: { ...ctx, session: ctx.session } });
});

/**
 * Session and role check. A subscription that needs more than a viewer changes state (builds.run,
 * images.pull, images.push run over SSE, i.e. GET): it gets the mutations' same-origin rule, and a
 * refusal is audited here, since the audit middleware writes mutations only. Its outcome is audited
 * by the procedure itself when the stream ends.
 */
export function roleProcedure(required: Role) {
  return publicProcedure.use(async ({ ctx, type, path, getRawInput, next }) => {
    const refuse = async (code: 'UNAUTHORIZED' | 'FORBIDDEN', message: string): Promise<never> => {
      if (type === 'subscription') {
        const input = await getRawInput().catch(() => undefined);
        await writeAudit(ctx.services.db, {
          actor: actorOf(ctx),
          action: path,
          target: auditTargetFromInput(input),
          result: 'denied',
          error: message,
          ip: ctx.ip,
        });
      }
      throw new TRPCError({ code, message });
    };
    const refused = type === 'subscription' ? siteRefusal(ctx) : null;
    if (refused) return refuse('FORBIDDEN', refused);
    const session = ctx.session;
    if (!session) return refuse('UNAUTHORIZED', 'Sign in first.');
    if (!hasRole(session.user.role, required)) {
      return refuse('FORBIDDEN', `This needs the ${required} role; you are ${session.user.role}.`);
    }
    return next({ ctx: { ...ctx, session } });
  });
}

export const adminProcedure = roleProcedure('admin');
export const operatorProcedure = roleProcedure('operator');
