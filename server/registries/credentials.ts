// Registry credentials: stored sealed (server/crypto/secret-box.ts), opened only to hand the engine an
// `authconfig` for one pull or push. The runtime keeps none of them.
import type { AuthConfig } from '@berth/runtime/engine';
import { loadOrCreateKey, open, seal } from '../crypto/secret-box.ts';
import type { Services } from '../services.ts';

/** Docker's rule: the first path part is a registry host when it has a dot or a port, or is localhost. */
export function registryHostOf(ref: string): string {
  const first = ref.split('/')[0] ?? '';
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

/** "https://127.0.0.1:5000/" → "127.0.0.1:5000"; index.docker.io names count as docker.io. */
export function normalizeRegistryUrl(url: string): string {
  const host = url.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

export function sealSecret(services: Services, secret: string): string {
  return seal(loadOrCreateKey(services.config.root), secret);
}

/** The stored login for the registry of `ref`, as the engine's authconfig; undefined when none. */
export async function authFor(services: Services, ref: string): Promise<AuthConfig | undefined> {
  const host = registryHostOf(ref);
  const row = await services.db.registryCredential.findUnique({ where: { url: host } });
  if (!row) return undefined;
  const password = open(loadOrCreateKey(services.config.root), row.secretSealed);
  return { username: row.username, password, serveraddress: host };
}
