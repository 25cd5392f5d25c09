import type { IncomingMessage, ServerResponse } from 'node:http';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { auditTargetFromInput, writeAudit, type AuditActor } from '../audit/audit-log.ts';
import { readCookie } from '../auth/cookies.ts';
import { clientIp } from '../auth/request-origin.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { resolveSession, SESSION_COOKIE, type ActiveSession } from '../auth/sessions.ts';
import type { Services } from './services.ts';

export interface Context {
  services: Services;
  req: IncomingMessage | null;
  res: ServerResponse | null;
  session: ActiveSession | null;
  ip: string;
  /** Procedures may name the audit actor or target when the middleware cannot know it (login). */
  audit: { actor?: AuditActor; target?: string };
}

export async function createContext(services: Services, req: IncomingMessage | null, res: ServerResponse | null): Promise<Context> {
  const token = req ? readCookie(req, SESSION_COOKIE) : undefined;
  const session = await resolveSession(services.db, token);
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
        fieldErrors: cause instanceof ZodError ? fieldErrors(cause) : null,
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

/** Every mutation, allowed or not, lands in the audit log with its actor, target, result and IP. */
const audited = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== 'mutation') return next();
  const result = await next();
  const input = await getRawInput().catch(() => undefined);
  const user = ctx.session?.user;
  const actor: AuditActor =
    ctx.audit.actor ?? (user ? { type: 'user', id: user.id, name: user.username } : { type: 'anonymous', name: 'anonymous' });
  const denied = !result.ok && (result.error.code === 'UNAUTHORIZED' || result.error.code === 'FORBIDDEN');
  await writeAudit(ctx.services.db, {
    actor,
    action: path,
    target: ctx.audit.target ?? auditTargetFromInput(input),
    result: result.ok ? 'success' : denied ? 'denied' : 'failure',
    error: result.ok ? null : result.error.message,
    ip: ctx.ip,
  });
  return result;
});

export const publicProcedure = t.procedure.use(audited);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
  return next({ ctx: { ...ctx, session: ctx.session } });
});

export function roleProcedure(required: Role) {
  return protectedProcedure.use(({ ctx, next }) => {
    if (!hasRole(ctx.session.user.role, required)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${required} role; you are ${ctx.session.user.role}.` });
    }
    return next();
  });
}

export const adminProcedure = roleProcedure('admin');
export const operatorProcedure = roleProcedure('operator');
