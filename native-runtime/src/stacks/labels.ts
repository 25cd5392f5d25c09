// The labels and names docker-compose (v1) and `docker compose` (v2) put on what they create, so that
// a project made by either CLI is a Berth stack and one Berth made is managed by the CLIs.
import { createHash } from 'node:crypto';
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

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/**
 * The service's config hash: sha256 of its normalized config without the replica count (scaling
 * must not recreate containers), plus the engine names of its networks and volumes.
 */
export function configHash(project: Project, s: ServiceConfig): string {
  const { replicas: _r, profiles: _p, ...rest } = s;
  const nets = Object.keys(s.networks).map((k) => project.networks[k]?.name ?? k);
  const vols = s.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => project.volumes[v.source!]?.name ?? v.source);
  return createHash('sha256').update(JSON.stringify(canonical({ ...rest, nets, vols }))).digest('hex');
}

export function projectLabels(project: Project): Record<string, string> {
  return { [L.project]: project.name, [L.version]: COMPOSE_VERSION };
}
