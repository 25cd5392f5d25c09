// What the engine holds of a project: its containers, networks and volumes, found by the compose labels
// (whoever made them: Berth, docker-compose v1 or `docker compose` v2).
import type { Engine } from '../engine/engine.js';
import type { ContainerSummary, NetworkInspect, Volume } from '../engine/types.js';
import { L, parseContainerName } from './labels.ts';

export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  state: string;
  status: string;
  health: 'healthy' | 'unhealthy' | 'starting' | null;
  configHash: string;
  imageId: string;
  image: string;
  created: number;
  oneoff: boolean;
  ports: ContainerSummary['Ports'];
  labels: Record<string, string>;
}

function health(status: string): ProjectContainer['health'] {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return null;
}

export function toProjectContainer(c: ContainerSummary): ProjectContainer {
  const labels = c.Labels ?? {};
  const name = (c.Names[0] ?? '').replace(/^\//, '');
  const project = labels[L.project] ?? '';
  const service = labels[L.service] ?? '';
  const n = Number(labels[L.number]);
  return {
    id: c.Id,
    name,
    service,
    number: Number.isInteger(n) && n > 0 ? n : (parseContainerName(name, project, service) ?? 0),
    state: c.State,
    status: c.Status,
    health: health(c.Status),
    configHash: labels[L.configHash] ?? '',
    imageId: c.ImageID,
    image: c.Image,
    created: c.Created,
    oneoff: (labels[L.oneoff] ?? 'False').toLowerCase() === 'true',
    ports: c.Ports ?? [],
    labels,
  };
}

export async function projectContainers(engine: Engine, project: string, opts: { oneoff?: boolean } = {}): Promise<ProjectContainer[]> {
  const list = await engine.listContainers({ all: true, filters: { label: [`${L.project}=${project}`] } });
  return list
    .map(toProjectContainer)
    .filter((c) => opts.oneoff || !c.oneoff)
    .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
}

/** Every compose project the engine has containers of, with those containers. */
export async function allProjects(engine: Engine): Promise<Map<string, ProjectContainer[]>> {
  const list = await engine.listContainers({ all: true, filters: { label: [L.project] } });
  const out = new Map<string, ProjectContainer[]>();
  for (const c of list) {
    const p = c.Labels?.[L.project];
    if (!p) continue;
    const pc = toProjectContainer(c);
    if (pc.oneoff) continue;
    (out.get(p) ?? out.set(p, []).get(p)!).push(pc);
  }
  for (const cs of out.values()) cs.sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
  return out;
}

export async function projectNetworks(engine: Engine, project: string): Promise<NetworkInspect[]> {
  return engine.listNetworks({ filters: { label: [`${L.project}=${project}`] } });
}

export async function projectVolumes(engine: Engine, project: string): Promise<Volume[]> {
  return (await engine.listVolumes({ filters: { label: [`${L.project}=${project}`] } })).Volumes ?? [];
}
