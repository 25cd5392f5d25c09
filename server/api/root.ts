import { auditRouter } from './routers/audit/router.ts';
import { authRouter } from './routers/auth/router.ts';
import { systemRouter } from './routers/system/router.ts';
import { usersRouter } from './routers/users/router.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;

/** Procedures that answer without a session. Everything else must refuse with 401. */
export const PUBLIC_PROCEDURES = ['auth.me', 'auth.setup', 'auth.login'] as const;
