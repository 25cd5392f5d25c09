// The labels and names docker-compose (v1) and `docker compose` (v2) put on what they create, so that
// a project made by either CLI is a Berth stack and one Berth made is managed by the CLIs.
import { v1ConfigHash } from './config-hash-v1.ts';
import type { Project, ServiceConfig } from './model.ts';

export const L = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  version: 'com.docker.compose.version',
  image: 'com.docker.compose.image',
  dependsOn: 'com.docker.compose.depends_on',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/** The compose version Berth reports in com.docker.compose.version: the v2 file format it follows. */
export const COMPOSE_VERSION = '2.0.0';

/** v2 names containers `<project>-<service>-<n>`; v1 named them `<project>_<service>_<n>`. Both are recognised. */
export function containerName(project: string, service: string, n: number): string {
  return `${project}-${service}-${n}`;
}

export function parseContainerName(name: string, project: string, service: string): number | null {
  const bare = name.replace(/^\//, '');
  for (const sep of ['-', '_']) {
    const prefix = `${project}${sep}${service}${sep}`;
    if (bare.startsWith(prefix) && /^\d+$/.test(bare.slice(prefix.length))) return Number(bare.slice(prefix.length));
  }
  return null;
}

/** The image a `build:` service without `image:` gets (v2's `<project>-<service>`). */
export function builtImageName(project: string, s: ServiceConfig): string {
  return s.image ?? `${project}-${s.name}`;
}

/**
 * The service's config hash: docker-compose 1.29's (config-hash-v1.ts), so the CLI and Berth agree on
 * which containers are current. What Berth acts on and 1.29 ignores (configs, files Berth writes from
 * the .env or `content:`, deploy's pids limit) is added to the hashed dict only when the service has it,
 * so a change there still recreates; 1.29 cannot load such a project in any case.
 */
export function configHash(s: ServiceConfig, imageId: string | null): string {
  const berth: Record<string, unknown> = {};
  if (s.configs.length) berth['configs'] = s.configs;
  const written = s.secrets.filter((f) => f.content !== undefined);
  if (written.length) berth['secrets'] = written;
  const options = s.v1Config['options'] as Record<string, unknown> | undefined;
  if (s.pidsLimit !== undefined && options?.['pids_limit'] !== s.pidsLimit) berth['pids_limit'] = s.pidsLimit;
  return v1ConfigHash(Object.keys(berth).length ? { ...s.v1Config, berth } : s.v1Config, imageId);
}

export function projectLabels(project: Project): Record<string, string> {
  return { [L.project]: project.name, [L.version]: COMPOSE_VERSION };
}
