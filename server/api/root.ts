import { auditRouter } from './routers/audit/router.ts';
import { analysisRouter } from './routers/analysis/router.ts';
import { buildsRouter } from './routers/builds/router.ts';
import { imagesRouter } from './routers/images/router.ts';
import { networksRouter } from './routers/networks/router.ts';
import { registriesRouter } from './routers/registries/router.ts';
import { settingsRouter } from './routers/settings/router.ts';
import { stacksRouter } from './routers/stacks/router.ts';
import { volumesRouter } from './routers/volumes/router.ts';
import { containersRouter } from './routers/containers/router.ts';
import { endpointsRouter } from './routers/endpoints/router.ts';
import { eventsRouter } from './routers/events/router.ts';
import { filesRouter } from './routers/files/router.ts';
import { authRouter } from './routers/auth/router.ts';
import { systemRouter } from './routers/system/router.ts';
import { usersRouter } from './routers/users/router.ts';
import { logsRouter } from './routers/logs/router.ts';
import { alertsRouter } from './routers/alerts/router.ts';
import { updatesRouter } from './routers/updates/router.ts';
import { tokensRouter } from './routers/tokens/router.ts';
import { identityRouter } from './routers/identity/router.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  system: systemRouter,
  containers: containersRouter,
  events: eventsRouter,
  endpoints: endpointsRouter,
  images: imagesRouter,
  builds: buildsRouter,
  volumes: volumesRouter,
  networks: networksRouter,
  registries: registriesRouter,
  settings: settingsRouter,
  stacks: stacksRouter,
  analysis: analysisRouter,
  files: filesRouter,
  logs: logsRouter,
  alerts: alertsRouter,
  updates: updatesRouter,
  tokens: tokensRouter,
  identity: identityRouter,
});

export type AppRouter = typeof appRouter;

/** Procedures that answer without a session. Everything else must refuse with 401. */
export const PUBLIC_PROCEDURES = ['auth.me', 'auth.setup', 'auth.login', 'identity.methods'] as const;
