// What a deploy would change: per service, the containers to create, recreate, start or remove, and the
// project's containers whose service is gone (orphans). Computed from the config hashes on the labels.
import type { Engine } from '../engine/engine.js';
import { projectContainers, type ProjectContainer } from './inventory.ts';
import { builtImageName, configHash } from './labels.ts';
import type { Project } from './model.ts';

export type ServiceAction = 'create' | 'recreate' | 'scale' | 'start' | 'unchanged';

export interface ServicePlan {
  name: string;
  image: string;
  build: boolean;
  action: ServiceAction;
  current: number;
  desired: number;
  /** Containers that stay, are replaced, or go (scale down). */
  keep: string[];
  recreate: string[];
  remove: string[];
  create: number;
  reasons: string[];
}

export interface Plan {
  services: ServicePlan[];
  orphans: { id: string; name: string; service: string }[];
  networks: { name: string; external: boolean; exists: boolean }[];
  volumes: { name: string; external: boolean; exists: boolean }[];
  warnings: string[];
}

/** The image id a container should run, when known before any pull or build (null: not local yet). */
async function localImageId(engine: Engine, ref: string): Promise<string | null> {
  try {
    return (await engine.getImage(ref).inspect()).Id;
  } catch {
    return null;
  }
}

export async function planDeploy(engine: Engine, project: Project, opts: { replicas?: Record<string, number>; existing?: ProjectContainer[] } = {}): Promise<Plan> {
  const existing = opts.existing ?? (await projectContainers(engine, project.name));
  const services: ServicePlan[] = [];
  for (const s of Object.values(project.services)) {
    const desired = opts.replicas?.[s.name] ?? s.replicas;
    const ref = builtImageName(project.name, s);
    const imageId = await localImageId(engine, ref);
    const mine = existing.filter((c) => c.service === s.name);
    const p: ServicePlan = { name: s.name, image: ref, build: !!s.build, action: 'unchanged', current: mine.length, desired, keep: [], recreate: [], remove: [], create: 0, reasons: [] };
    const numbers = new Set<number>();
    for (const c of mine) {
      if (c.number > desired || c.number < 1 || numbers.has(c.number)) {
        p.remove.push(c.name);
        continue;
      }
      numbers.add(c.number);
      // The hash covers the image id too: judged with the container's own image, it tells the two apart.
      if (c.configHash !== configHash(s, c.imageId || null)) {
        p.recreate.push(c.name);
        if (!p.reasons.includes('configuration changed')) p.reasons.push('configuration changed');
      } else if (imageId && c.imageId !== imageId) {
        p.recreate.push(c.name);
        if (!p.reasons.includes('image changed')) p.reasons.push('image changed');
      } else p.keep.push(c.name);
    }
    p.create = Math.max(0, desired - numbers.size);
    if (p.recreate.length) p.action = 'recreate';
    else if (!mine.length && desired) p.action = 'create';
    else if (p.create || p.remove.length) p.action = 'scale';
    else if (mine.some((c) => c.state !== 'running' && p.keep.includes(c.name))) p.action = 'start';
    if (s.build) p.reasons.push('built before deploy; recreated if the image changes');
    services.push(p);
  }
  const orphans = existing.filter((c) => !project.services[c.service]).map((c) => ({ id: c.id, name: c.name, service: c.service }));
  const netNames = new Set((await engine.listNetworks()).map((n) => n.Name));
  const volNames = new Set(((await engine.listVolumes()).Volumes ?? []).map((v) => v.Name));
  return {
    services,
    orphans,
    networks: Object.values(project.networks).map((n) => ({ name: n.name, external: n.external, exists: netNames.has(n.name) })),
    volumes: Object.values(project.volumes).map((v) => ({ name: v.name, external: v.external, exists: volNames.has(v.name) })),
    warnings: project.warnings,
  };
}
