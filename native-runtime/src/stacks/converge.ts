// Deploy: brings the engine to the project. Every check that can fail on bad input (external networks,
// ports, images that cannot be pulled) comes first, so bad input changes nothing; then builds (their
// contexts are the stack's files, recorded by then), networks, volumes and
// the services in depends_on order, recreating only containers whose config hash or image changed.
// A deploy that stops half-way leaves labelled containers that the next deploy converges.
import net from 'node:net';
import type { Engine } from '../engine/engine.js';
import { contextTar } from './context-tar.ts';
import { StackError } from './errors.ts';
import type { Emit, StackEvent } from './events.ts';
import { writeFileMounts } from './file-mounts.ts';
import { dependencyOrder } from './graph.ts';
import { projectContainers, type ProjectContainer } from './inventory.ts';
import { jsonLines, recordError } from './json-lines.ts';
import { builtImageName, configHash, L, projectLabels } from './labels.ts';
import type { Project, ServiceConfig } from './model.ts';
import { planDeploy, type Plan } from './plan.ts';
import { replicaSpec } from './container-spec.ts';

export interface ConvergeOptions {
  removeOrphans?: boolean;
  /** Only these services (scale, a partial up); their dependencies are not touched. */
  only?: string[];
  /** Replica counts that override the files (scale). */
  replicas?: Record<string, number>;
  /** Probe published host ports on this machine (the embedded engine's ports are this host's). */
  probeHostPorts?: boolean;
  /** Called once every check has passed and the pulls are done, before anything changes (the files are recorded then). */
  beforeChanges?: () => void;
  /** How long a depends_on condition may take. */
  dependencyTimeoutMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function errorText(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}

/** Pulls the images of services without a build that are missing (or pull_policy always). */
async function pullImages(engine: Engine, project: Project, services: ServiceConfig[], emit: Emit, signal?: AbortSignal): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const s of services) {
    if (s.build) continue;
    const ref = builtImageName(project.name, s);
    const local = await engine
      .getImage(ref)
      .inspect()
      .then((i) => i.Id)
      .catch(() => null);
    const policy = s.pullPolicy ?? 'missing';
    if (local && policy !== 'always') {
      ids.set(s.name, local);
      continue;
    }
    if (policy === 'never') throw new StackError(`service "${s.name}": image ${ref} is not present and pull_policy is never`);
    ids.set(s.name, await pullImage(engine, s.name, ref, emit, signal, local));
  }
  return ids;
}

/**
 * Builds the services that have a build. Built on every deploy, so edited sources reach the containers;
 * the builder's cache makes an unchanged build cheap, and an unchanged image id recreates nothing.
 */
async function buildImages(engine: Engine, project: Project, services: ServiceConfig[], ids: Map<string, string>, emit: Emit, signal?: AbortSignal): Promise<void> {
  for (const s of services) {
    if (!s.build) continue;
    const ref = builtImageName(project.name, s);
    emit({ type: 'service', service: s.name, phase: 'building' });
    const b = s.build;
    let id: string | null = null;
    let failure: string | null = null;
    try {
      const stream = await engine.buildImage(contextTar(b.context, b.dockerfile), {
        t: ref,
        ...(b.dockerfile ? { dockerfile: b.dockerfile } : {}),
        buildargs: b.args,
        ...(b.target ? { target: b.target } : {}),
        labels: b.labels,
        rm: true,
      });
      for await (const rec of jsonLines(stream, signal)) {
        emit({ type: 'build', service: s.name, record: rec });
        const aux = rec['aux'] as { ID?: string } | undefined;
        if (aux?.ID) id = aux.ID;
        failure ??= recordError(rec);
      }
    } catch (err) {
      failure = errorText(err);
    }
    if (failure) throw new StackError(`service "${s.name}": build failed: ${failure}`);
    id ??= (await engine.getImage(ref).inspect()).Id;
    ids.set(s.name, id);
    emit({ type: 'service', service: s.name, phase: 'built', message: id });
  }
}

export async function pullImage(engine: Engine, service: string, ref: string, emit: Emit, signal?: AbortSignal, fallback: string | null = null): Promise<string> {
  emit({ type: 'service', service, phase: 'pulling', message: ref });
  let failure: string | null = null;
  try {
    const stream = await engine.pull(ref);
    for await (const rec of jsonLines(stream, signal)) {
      emit({ type: 'pull', service, record: rec });
      failure ??= recordError(rec);
    }
  } catch (err) {
    failure = errorText(err);
  }
  const id = await engine
    .getImage(ref)
    .inspect()
    .then((i) => i.Id)
    .catch(() => null);
  if (failure || !id) {
    if (fallback) {
      emit({ type: 'warning', message: `service "${service}": pull of ${ref} failed (${failure}); using the local image` });
      return fallback;
    }
    throw new StackError(`service "${service}": image ${ref} cannot be had: ${failure ?? 'not found after pull'}`);
  }
  emit({ type: 'service', service, phase: 'pulled', message: id });
  return id;
}

function probePort(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: host || '0.0.0.0', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A fixed published port taken by another service, another container or (local engine) another program. */
async function checkPorts(engine: Engine, project: Project, services: ServiceConfig[], existing: ProjectContainer[], probe: boolean): Promise<void> {
  const seen = new Map<string, string>();
  for (const s of services) {
    for (const p of s.ports) {
      if (!p.published || p.published === '0') continue;
      const key = `${p.published}/${p.protocol}`;
      const other = seen.get(key);
      if (other && other !== s.name) throw new StackError(`service "${s.name}": port ${key} is also published by service "${other}"`);
      if (other === s.name && s.replicas > 1) throw new StackError(`service "${s.name}": port ${key} is fixed, so it cannot run ${s.replicas} replicas`);
      seen.set(key, s.name);
    }
  }
  const mine = new Set(existing.map((c) => c.id));
  const others = (await engine.listContainers({})).filter((c) => !mine.has(c.Id));
  for (const s of services) {
    for (const p of s.ports) {
      if (!p.published || p.published === '0') continue;
      const port = Number(p.published);
      const taker = others.find((c) => c.Ports?.some((q) => q.PublicPort === port && q.Type === p.protocol));
      if (taker) throw new StackError(`service "${s.name}": port ${port}/${p.protocol} is already published by container ${(taker.Names[0] ?? taker.Id).replace(/^\//, '')}`);
      const held = existing.some((c) => c.state === 'running' && c.ports.some((q) => q.PublicPort === port && q.Type === p.protocol));
      if (probe && p.protocol === 'tcp' && !held && !(await probePort(p.host_ip ?? '', port))) {
        throw new StackError(`service "${s.name}": port ${port}/tcp is already in use on this machine`);
      }
    }
  }
}

async function ensureNetworks(engine: Engine, project: Project, emit: Emit): Promise<void> {
  const existing = new Map((await engine.listNetworks()).map((n) => [n.Name, n]));
  for (const [key, n] of Object.entries(project.networks)) {
    if (existing.has(n.name)) {
      emit({ type: 'network', name: n.name, action: 'exists' });
      continue;
    }
    if (n.external) throw new StackError(`network ${n.name} is declared as external, but could not be found`);
    await engine.createNetwork({
      Name: n.name,
      Driver: n.driver ?? 'bridge',
      CheckDuplicate: true,
      Internal: n.internal,
      Attachable: n.attachable,
      EnableIPv6: n.enableIpv6,
      Options: n.driverOpts,
      ...(n.ipam ? { IPAM: { Driver: n.ipam.driver ?? 'default', Config: n.ipam.config.map((c) => ({ ...(c.subnet ? { Subnet: c.subnet } : {}), ...(c.gateway ? { Gateway: c.gateway } : {}), ...(c.ip_range ? { IPRange: c.ip_range } : {}) })) } } : {}),
      Labels: { ...n.labels, ...projectLabels(project), [L.network]: key },
    });
    emit({ type: 'network', name: n.name, action: 'created' });
  }
}

async function ensureVolumes(engine: Engine, project: Project, emit: Emit): Promise<void> {
  const existing = new Set(((await engine.listVolumes()).Volumes ?? []).map((v) => v.Name));
  for (const [key, v] of Object.entries(project.volumes)) {
    if (existing.has(v.name)) {
      emit({ type: 'volume', name: v.name, action: 'exists' });
      continue;
    }
    if (v.external) throw new StackError(`volume ${v.name} is declared as external, but could not be found`);
    await engine.createVolume({ Name: v.name, Driver: v.driver ?? 'local', DriverOpts: v.driverOpts, Labels: { ...v.labels, ...projectLabels(project), [L.volume]: key } });
    emit({ type: 'volume', name: v.name, action: 'created' });
  }
}

/** Waits until the dependency's containers meet the condition (Compose's depends_on semantics). */
async function waitFor(engine: Engine, project: Project, service: string, dep: string, condition: string, emit: Emit, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  if (condition === 'service_started') return; // started in order already
  emit({ type: 'service', service, phase: 'waiting', message: `${dep}: ${condition}` });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new StackError('cancelled');
    const cs = (await projectContainers(engine, project.name)).filter((c) => c.service === dep);
    if (!cs.length) return; // scaled to 0: nothing to wait for, as Compose
    const infos = await Promise.all(cs.map((c) => engine.getContainer(c.id).inspect()));
    if (condition === 'service_healthy') {
      for (const i of infos) {
        if (!i.Config.Healthcheck?.Test || i.Config.Healthcheck.Test[0] === 'NONE') throw new StackError(`dependency failed to start: container ${i.Name.slice(1)} has no healthcheck configured`);
        if (i.State.Health?.Status === 'unhealthy') throw new StackError(`dependency failed to start: container ${i.Name.slice(1)} is unhealthy`);
        if (!i.State.Running) throw new StackError(`dependency failed to start: container ${i.Name.slice(1)} exited (${i.State.ExitCode})`);
      }
      if (infos.every((i) => i.State.Health?.Status === 'healthy')) {
        emit({ type: 'service', service: dep, phase: 'healthy' });
        return;
      }
    } else {
      for (const i of infos) {
        if (!i.State.Running && i.State.Status !== 'created' && i.State.ExitCode !== 0) throw new StackError(`service "${dep}" didn't complete successfully: exit ${i.State.ExitCode}`);
      }
      if (infos.every((i) => !i.State.Running && i.State.Status === 'exited')) {
        emit({ type: 'service', service: dep, phase: 'completed' });
        return;
      }
    }
    if (Date.now() > deadline) throw new StackError(`timed out waiting for service "${dep}" (${condition})`);
    await sleep(100);
  }
}

async function removeContainer(engine: Engine, c: { id: string; name: string }, service: string, emit: Emit, timeout?: number): Promise<void> {
  emit({ type: 'service', service, phase: 'removing', container: c.name });
  const h = engine.getContainer(c.id);
  await h.stop(timeout === undefined ? {} : { t: timeout }).catch(() => undefined);
  await h.remove({ force: true });
  emit({ type: 'service', service, phase: 'removed', container: c.name });
}

async function createReplica(engine: Engine, project: Project, s: ServiceConfig, n: number, hash: string, imageId: string | null, emit: Emit): Promise<string> {
  const spec = replicaSpec(project, s, n, hash, builtImageName(project.name, s), imageId);
  emit({ type: 'service', service: s.name, phase: 'creating', container: spec.name });
  const h = await engine.createContainer(spec.body);
  try {
    for (const x of spec.extraNetworks) {
      await engine.getNetwork(x.network).connect({ Container: h.id, EndpointConfig: { Aliases: x.aliases, ...(x.ipv4Address ? { IPAMConfig: { IPv4Address: x.ipv4Address } } : {}) } });
    }
  } catch (err) {
    await h.remove({ force: true }).catch(() => undefined);
    throw err;
  }
  emit({ type: 'service', service: s.name, phase: 'created', container: spec.name });
  return spec.name;
}

/** One service: replace stale replicas, remove extra ones, wait for its dependencies, create and start. */
async function convergeService(engine: Engine, project: Project, s: ServiceConfig, imageId: string | null, emit: Emit, opts: ConvergeOptions): Promise<void> {
  if (opts.signal?.aborted) throw new StackError('cancelled');
  const desired = opts.replicas?.[s.name] ?? s.replicas;
  const hash = configHash(s, imageId);
  const stopTimeout = s.stopGracePeriod === undefined ? undefined : Math.ceil(s.stopGracePeriod / 1e9);
  const mine = (await projectContainers(engine, project.name)).filter((c) => c.service === s.name);
  const keep: ProjectContainer[] = [];
  const numbers = new Set<number>();
  const stale: ProjectContainer[] = [];
  for (const c of mine) {
    const changed = c.configHash !== hash || (imageId !== null && c.imageId !== imageId);
    if (c.number < 1 || c.number > desired || numbers.has(c.number) || changed) {
      if (changed && c.number <= desired) emit({ type: 'service', service: s.name, phase: 'recreating', container: c.name });
      stale.push(c);
    } else {
      numbers.add(c.number);
      keep.push(c);
    }
  }
  await Promise.all(stale.map((c) => removeContainer(engine, c, s.name, emit, stopTimeout)));
  if (desired > 0) for (const [dep, d] of Object.entries(s.dependsOn)) await waitFor(engine, project, s.name, dep, d.condition, emit, opts.dependencyTimeoutMs ?? 600_000, opts.signal);
  const toStart: { id: string; name: string }[] = keep.filter((c) => c.state !== 'running').map((c) => ({ id: c.id, name: c.name }));
  for (let n = 1; numbers.size < desired; n++) {
    if (numbers.has(n)) continue;
    const name = await createReplica(engine, project, s, n, hash, imageId, emit);
    numbers.add(n);
    toStart.push({ id: name, name });
  }
  await Promise.all(
    toStart.map(async (c) => {
      emit({ type: 'service', service: s.name, phase: 'starting', container: c.name });
      await engine.getContainer(c.id).start();
      emit({ type: 'service', service: s.name, phase: 'started', container: c.name });
    }),
  );
  if (!toStart.length && !stale.length) emit({ type: 'service', service: s.name, phase: 'unchanged' });
}

/**
 * Converges the engine to `project`. Returns the plan it followed. Errors reject (a StackError for bad
 * input or a failed dependency, the engine's error otherwise) after being emitted.
 */
export async function converge(engine: Engine, project: Project, emit: Emit, opts: ConvergeOptions = {}): Promise<Plan> {
  const order = dependencyOrder(project.services);
  if (!order.ok) throw new StackError(`dependency cycle in depends_on: ${order.cycle.join(' -> ')}`);
  const targets = order.order.filter((n) => !opts.only || opts.only.includes(n)).map((n) => project.services[n]!);
  const existing = await projectContainers(engine, project.name);
  const plan = await planDeploy(engine, project, { replicas: opts.replicas, existing });
  if (opts.only) plan.services = plan.services.filter((p) => opts.only!.includes(p.name));
  emit({ type: 'plan', plan });
  for (const w of project.warnings) emit({ type: 'warning', message: w });

  // Checks and images: failures here leave the engine as it was (images aside).
  for (const n of Object.values(project.networks)) if (n.external && !plan.networks.find((p) => p.name === n.name)?.exists) throw new StackError(`network ${n.name} is declared as external, but could not be found`);
  for (const v of Object.values(project.volumes)) if (v.external && !plan.volumes.find((p) => p.name === v.name)?.exists) throw new StackError(`volume ${v.name} is declared as external, but could not be found`);
  await checkPorts(engine, project, targets, existing, !!opts.probeHostPorts);
  const imageIds = await pullImages(engine, project, targets, emit, opts.signal);
  opts.beforeChanges?.();
  writeFileMounts(targets);
  await buildImages(engine, project, targets, imageIds, emit, opts.signal);

  await ensureNetworks(engine, project, emit);
  await ensureVolumes(engine, project, emit);

  for (const o of plan.orphans) {
    if (opts.removeOrphans) {
      await removeContainer(engine, o, o.service, emit);
      emit({ type: 'orphan', container: o.name, service: o.service, action: 'removed' });
    } else {
      emit({ type: 'orphan', container: o.name, service: o.service, action: 'found' });
    }
  }

  // Each service starts once its dependencies are done; independent services converge side by side.
  const done = new Map<string, Promise<void>>();
  for (const s of targets) {
    const deps = Object.keys(s.dependsOn).map((d) => done.get(d) ?? Promise.resolve());
    done.set(
      s.name,
      Promise.all(deps).then(() => convergeService(engine, project, s, imageIds.get(s.name) ?? null, emit, opts)),
    );
  }
  const results = await Promise.allSettled(done.values());
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return plan;
}

export type { StackEvent };
