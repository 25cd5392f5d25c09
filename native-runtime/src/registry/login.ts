// POST /auth (`docker login`): checks credentials against the registry as dockerd's loginV2 does (moby
// registry/auth.go): GET /v2/ on the registry's own endpoints (never a mirror), answering its Basic or
// Bearer challenge with the credentials (a token service is asked for offline access, and its refresh
// token comes back as IdentityToken). Nothing is stored: the client keeps its credentials.
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { badParameter, EngineError } from '../errors.js';
import { DOCKER_HUB, type RegistryPolicy } from './allow-list.js';
import type { AuthConfig } from './auth.js';
import { RegistrySession } from './client.js';
import { drain } from './transport.js';

export interface LoginResult {
  IdentityToken: string;
  Status: string;
}

const HostSchema = z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/);

/** The registry a `serveraddress` names: `host[:port]`, a URL, or empty / Docker Hub's index for docker.io. */
export function loginDomain(serverAddress: string | undefined): string {
  const raw = (serverAddress ?? '').trim();
  if (!raw) return DOCKER_HUB;
  let host: string;
  try {
    host = new URL(/^https?:\/\//.test(raw) ? raw : `https://${raw}`).host;
  } catch {
    throw badParameter(`unable to parse server address ${JSON.stringify(raw)}`);
  }
  if (!HostSchema.safeParse(host).success) throw badParameter(`unable to parse server address ${JSON.stringify(raw)}`);
  if (['index.docker.io', 'registry-1.docker.io', 'docker.io', 'registry.hub.docker.com'].includes(host)) return DOCKER_HUB;
  return host;
}

export async function login(authconfig: AuthConfig, policy: RegistryPolicy): Promise<LoginResult> {
  const domain = loginDomain(authconfig.serveraddress);
  const session = await RegistrySession.open(domain, { authconfig, policy, pull: false, offlineAccess: true, timeoutMs: 30_000 });
  const res = await session.request({ method: 'GET', path: '/v2/', scopes: [] });
  await drain(res);
  if (res.status !== 200) {
    // dockerd's wording; a refused login is the client's 401 rather than dockerd 20.10's 500.
    const message = `login attempt to ${session.url('/v2/').href} failed with status: ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trimEnd();
    throw new EngineError(res.status === 401 || res.status === 403 ? 401 : 500, message, res.status === 401 ? { reason: 'unauthorized' } : {});
  }
  return { IdentityToken: session.identityToken, Status: 'Login Succeeded' };
}
