// Stacks: Compose applications over any Engine (the embedded one or a remote Docker). Files live in a
// StackStore; identity lives in the compose labels, so CLI-made projects are listed too.
import path from 'node:path';
import type { Engine } from '../engine/engine.js';
import type { NetworkInspect, Volume } from '../engine/types.js';
import { converge, pullImage } from './converge.ts';
import { StackError, type StackIssue } from './errors.ts';
import type { Emit } from './events.ts';
import { dependencyOrder } from './graph.ts';
import { allProjects, projectContainers, projectNetworks, projectVolumes, type ProjectContainer } from './inventory.ts';
import { L, builtImageName } from './labels.ts';
import { loadProject, PROJECT_NAME, type ComposeFile } from './load.ts';
import type { Project } from './model.ts';
import { planDeploy, type Plan } from './plan.ts';
import { checkRelativePath, COMPOSE_FILE_NAME, StackStore, type StackAsset, type StackContent, type VersionMeta } from './store.ts';

export interface StackSummary {
  name: string;
  /** Deployed through Berth (files and history kept) or found by its labels only (a CLI made it). */
  origin: 'berth' | 'cli';
  status: 'running' | 'partial' | 'stopped' | 'empty';
  services: string[];
  containers: { total: number; running: number };
  health: { healthy: number; unhealthy: number; starting: number };
  ports: { service: string; ip: string; published: number; target: number; protocol: string }[];
  workingDir: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  version: number | null;
}

export interface StackServiceView {
  name: string;
  image: string;
  /** From the current files; null for a CLI stack Berth has no files of. */
  desired: number | null;
  containers: ProjectContainer[];
}

export interface StackDetail extends StackSummary {
  serviceDetails: StackServiceView[];
  /** Containers of services the current files do not have. */
  orphans: ProjectContainer[];
  networks: { name: string; id: string; driver: string }[];
  volumes: { name: string; driver: string; mountpoint: string }[];
  /** The current files in full (assets base64), so an edit can be redeployed with the same assets. */
  content: StackContent | null;
  profiles: string[];
  warnings: string[];
  /** Why the current files do not load any more (a deleted env_file, say). */
  loadError: StackIssue[] | null;
}

export interface DeployInput {
  name: string;
  files: ComposeFile[];
  env: string;
  assets?: StackAsset[];
  profiles?: string[];
  removeOrphans?: boolean;
  /** Whether the caller may bind-mount host paths (admin, or operators when the admin allows it). */
  allowHostBinds: boolean;
  /** Whether the caller may hand services host devices or all of them (`devices:`, `device_cgroup_rules:`, `privileged:`): admins only, as `--device` and `--privileged` in the dashboard. Absent = no. */
  allowDevices?: boolean;
  user: string;
  note?: string;
  signal?: AbortSignal;
}

export interface StacksOptions {
  engine: Engine;
  /** $BERTH_ROOT/stacks */
  root: string;
  /** The engine runs on this machine: published ports can be probed here. */
  local: boolean;
}

const locks = new Map<string, Promise<unknown>>();

/** One change at a time per stack (deploy, scale, down...), across every Stacks instance of the process. */
async function locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(fn);
  locks.set(key, run);
  try {
    return await run;
  } finally {
    if (locks.get(key) === run) locks.delete(key);
  }
}

function checkName(name: string): void {
  if (!PROJECT_NAME.test(name) || name.length > 63) throw new StackError(`invalid stack name ${JSON.stringify(name)}: lower-case letters, digits, - and _, starting with a letter or digit (at most 63)`);
}

function checkInputFiles(files: ComposeFile[], assets: StackAsset[]): void {
  const issues: StackIssue[] = [];
  for (const f of files) if (!COMPOSE_FILE_NAME.test(f.name)) issues.push({ file: f.name, line: 0, col: 0, path: '', message: 'a compose file name is a plain file name ending in .yml or .yaml' });
  const seen = new Set(files.map((f) => f.name));
  for (const a of assets) {
    const bad = checkRelativePath(a.path);
    if (bad) issues.push({ file: a.path, line: 0, col: 0, path: '', message: bad });
    if (seen.has(a.path) || a.path === '.env') issues.push({ file: a.path, line: 0, col: 0, path: '', message: 'given twice (as a compose file, the .env or another asset)' });
    seen.add(a.path);
  }
  if (issues.length) throw new StackError(issues);
}

/** Host paths a project reads or mounts (secrets, configs and build contexts inside the stack folder are fine for operators). */
export function hostBinds(project: Project): string[] {
  const out: string[] = [];
  for (const s of Object.values(project.services)) {
    for (const v of s.volumes) if (v.type === 'bind' && v.source) out.push(`service "${s.name}": ${v.source}:${v.target}`);
    const outside = (p: string) => {
      const rel = path.relative(project.workingDir, p);
      return rel.startsWith('..') || path.isAbsolute(rel);
    };
    for (const f of [...s.secrets, ...s.configs]) if (outside(f.file)) out.push(`service "${s.name}": ${f.file}:${f.target}`);
    // A build context is sent to the builder whole: outside the folder it could carry any host file.
    if (s.build && outside(s.build.context)) out.push(`service "${s.name}": build context ${s.build.context}`);
  }
  return out;
}

/** What a project asks of the host's devices: admins only (the dashboard's rule for --device and --privileged). */
export function hostDevices(project: Project): string[] {
  const out: string[] = [];
  for (const s of Object.values(project.services)) {
    for (const d of s.devices ?? []) out.push(`service "${s.name}": device ${d.source}:${d.target}:${d.permissions}`);
    for (const r of s.deviceCgroupRules ?? []) out.push(`service "${s.name}": device cgroup rule "${r}"`);
    if (s.privileged) out.push(`service "${s.name}": privileged`);
  }
  return out;
}

export class Stacks {
  readonly store: StackStore;

  constructor(private readonly opts: StacksOptions) {
    this.store = new StackStore(opts.root);
  }

  private get engine(): Engine {
    return this.opts.engine;
  }

  /** Loads files as a deploy of stack `name` would, without touching anything. */
  load(input: { name: string; files: ComposeFile[]; env: string; assets?: StackAsset[]; profiles?: string[] }, opts: { hostPaths?: boolean } = {}): Project {
    checkName(input.name);
    checkInputFiles(input.files, input.assets ?? []);
    return loadProject({ name: input.name, files: input.files, env: input.env, workingDir: this.store.dir(input.name), profiles: input.profiles, readFile: this.store.reader(input.name, input.assets ?? [], opts.hostPaths ?? false) });
  }

  async list(): Promise<StackSummary[]> {
    const projects = await allProjects(this.engine);
    const names = new Set([...projects.keys(), ...this.store.names()]);
    return [...names].sort().map((n) => this.summary(n, projects.get(n) ?? []));
  }

  private summary(name: string, cs: ProjectContainer[]): StackSummary {
    const meta = this.store.meta(name);
    const running = cs.filter((c) => c.state === 'running').length;
    const created = cs.map((c) => c.created * 1000);
    return {
      name,
      origin: meta ? 'berth' : 'cli',
      status: cs.length === 0 ? 'empty' : running === cs.length ? 'running' : running === 0 ? 'stopped' : 'partial',
      services: [...new Set(cs.map((c) => c.service))].sort(),
      containers: { total: cs.length, running },
      health: { healthy: cs.filter((c) => c.health === 'healthy').length, unhealthy: cs.filter((c) => c.health === 'unhealthy').length, starting: cs.filter((c) => c.health === 'starting').length },
      ports: cs.flatMap((c) => c.ports.filter((p) => p.PublicPort).map((p) => ({ service: c.service, ip: p.IP ?? '', published: p.PublicPort!, target: p.PrivatePort, protocol: p.Type }))),
      workingDir: meta ? this.store.dir(name) : (cs[0]?.labels[L.workingDir] ?? null),
      createdAt: meta?.createdAt ?? (created.length ? new Date(Math.min(...created)).toISOString() : null),
      updatedAt: meta?.updatedAt ?? (created.length ? new Date(Math.max(...created)).toISOString() : null),
      version: meta?.current ?? null,
    };
  }

  async get(name: string): Promise<StackDetail> {
    checkName(name);
    const cs = await projectContainers(this.engine, name);
    const meta = this.store.meta(name);
    if (!meta && !cs.length) throw new StackError(`no such stack: ${name}`, 404);
    const content = meta ? this.store.content(name) : null;
    let project: Project | null = null;
    let loadError: StackIssue[] | null = null;
    if (content) {
      // These files passed the host-path check when they were deployed.
      try {
        project = this.load({ name, files: content.files, env: content.env, profiles: meta?.profiles }, { hostPaths: true });
      } catch (err) {
        loadError = err instanceof StackError ? err.issues : [{ file: '', line: 0, col: 0, path: '', message: String(err) }];
      }
    }
    const names = project ? Object.keys(project.services) : [...new Set(cs.map((c) => c.service))];
    const serviceDetails = names.sort().map((s) => ({
      name: s,
      image: project ? builtImageName(name, project.services[s]!) : (cs.find((c) => c.service === s)?.image ?? ''),
      desired: project ? project.services[s]!.replicas : null,
      containers: cs.filter((c) => c.service === s),
    }));
    const nets: NetworkInspect[] = await projectNetworks(this.engine, name).catch(() => []);
    const vols: Volume[] = await projectVolumes(this.engine, name).catch(() => []);
    return {
      ...this.summary(name, cs),
      serviceDetails,
      orphans: project ? cs.filter((c) => !project.services[c.service]) : [],
      networks: nets.map((n) => ({ name: n.Name, id: n.Id, driver: n.Driver })),
      volumes: vols.map((v) => ({ name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint })),
      content,
      profiles: meta?.profiles ?? [],
      warnings: project?.warnings ?? [],
      loadError,
    };
  }

  async plan(input: { name: string; files: ComposeFile[]; env: string; assets?: StackAsset[]; profiles?: string[] }): Promise<Plan> {
    const project = this.load(input);
    return planDeploy(this.engine, project);
  }

  /**
   * Validates, records a new version of the files, and converges. Bad input rejects before anything is
   * written; a failure later is recorded on the version and reported, and the next deploy converges.
   */
  async deploy(input: DeployInput, emit: Emit): Promise<{ version: number; plan: Plan }> {
    const project = this.load(input, { hostPaths: input.allowHostBinds });
    const binds = hostBinds(project);
    if (binds.length && !input.allowHostBinds) {
      throw new StackError(`bind mounts of host paths need the admin role (or the admin setting that allows operators): ${binds.join('; ')}`, 403);
    }
    const devices = hostDevices(project);
    if (devices.length && !input.allowDevices) throw new StackError(`host devices and privileged services need the admin role: ${devices.join('; ')}`, 403);
    return locked(`${this.opts.root}\0${input.name}`, async () => {
      let v: VersionMeta | null = null;
      const commit = () => {
        v = this.store.commit(input.name, { files: input.files, env: input.env, assets: input.assets ?? [] }, { user: input.user, note: input.note ?? '', profiles: input.profiles ?? [] });
      };
      try {
        const plan = await converge(this.engine, project, emit, { removeOrphans: input.removeOrphans, probeHostPorts: this.opts.local, signal: input.signal, beforeChanges: commit });
        const version = (v as VersionMeta | null)!.version;
        this.store.finish(input.name, version, null);
        emit({ type: 'done', version });
        return { version, plan };
      } catch (err) {
        const failed = v as VersionMeta | null;
        if (failed) this.store.finish(input.name, failed.version, err instanceof Error ? err.message : String(err));
        throw err;
      }
    });
  }

  private async current(name: string): Promise<Project> {
    checkName(name);
    const meta = this.store.meta(name);
    const content = this.store.content(name);
    if (!meta || !content) throw new StackError(`stack ${name} has no files in Berth (it was made by a CLI); use the CLI in its folder, or deploy it here first`, 409);
    return this.load({ name, files: content.files, env: content.env, profiles: meta.profiles }, { hostPaths: true });
  }

  private async containersOrThrow(name: string): Promise<ProjectContainer[]> {
    checkName(name);
    const cs = await projectContainers(this.engine, name);
    if (!cs.length && !this.store.meta(name)) throw new StackError(`no such stack: ${name}`, 404);
    return cs;
  }

  /** Service start order: dependencies first (from the files), else by name. */
  private async order(name: string, cs: ProjectContainer[]): Promise<string[]> {
    const names = [...new Set(cs.map((c) => c.service))].sort();
    try {
      const p = await this.current(name);
      const o = dependencyOrder(p.services);
      if (o.ok) return [...o.order.filter((s) => names.includes(s)), ...names.filter((s) => !o.order.includes(s))];
    } catch {
      // A CLI stack: no files, no order beyond names.
    }
    return names;
  }

  async start(name: string, emit: Emit = () => undefined): Promise<void> {
    return locked(`${this.opts.root}\0${name}`, async () => {
      const cs = await this.containersOrThrow(name);
      for (const s of await this.order(name, cs)) {
        for (const c of cs.filter((x) => x.service === s && x.state !== 'running')) {
          emit({ type: 'service', service: s, phase: 'starting', container: c.name });
          await this.engine.getContainer(c.id).start();
          emit({ type: 'service', service: s, phase: 'started', container: c.name });
        }
      }
    });
  }

  async stop(name: string, emit: Emit = () => undefined): Promise<void> {
    return locked(`${this.opts.root}\0${name}`, async () => {
      const cs = await this.containersOrThrow(name);
      // Dependents first, as Compose stops them.
      for (const s of (await this.order(name, cs)).reverse()) {
        await Promise.all(
          cs
            .filter((x) => x.service === s && x.state === 'running')
            .map(async (c) => {
              emit({ type: 'service', service: s, phase: 'stopping', container: c.name });
              await this.engine.getContainer(c.id).stop();
              emit({ type: 'service', service: s, phase: 'stopped', container: c.name });
            }),
        );
      }
    });
  }

  async restart(name: string, emit: Emit = () => undefined): Promise<void> {
    await this.stop(name, emit);
    await this.start(name, emit);
  }

  /** Removes the containers and networks (and, with volumes, the named volumes) of the project. Files stay. */
  async down(name: string, opts: { volumes: boolean }, emit: Emit = () => undefined): Promise<void> {
    return locked(`${this.opts.root}\0${name}`, async () => {
      const cs = await this.containersOrThrow(name);
      for (const s of (await this.order(name, cs)).reverse()) {
        await Promise.all(
          cs
            .filter((x) => x.service === s)
            .map(async (c) => {
              emit({ type: 'service', service: s, phase: 'removing', container: c.name });
              const h = this.engine.getContainer(c.id);
              if (c.state === 'running') await h.stop().catch(() => undefined);
              await h.remove({ force: true, v: opts.volumes });
              emit({ type: 'service', service: s, phase: 'removed', container: c.name });
            }),
        );
      }
      // One-off containers (`docker-compose run`) go too, as `down` removes them.
      for (const c of (await projectContainers(this.engine, name, { oneoff: true })).filter((x) => x.oneoff)) await this.engine.getContainer(c.id).remove({ force: true, v: opts.volumes });
      for (const n of await projectNetworks(this.engine, name)) {
        await this.engine.getNetwork(n.Id).remove();
        emit({ type: 'network', name: n.Name, action: 'removed' });
      }
      if (opts.volumes) {
        for (const v of await projectVolumes(this.engine, name)) {
          await this.engine.getVolume(v.Name).remove();
          emit({ type: 'volume', name: v.Name, action: 'removed' });
        }
      }
    });
  }

  /** Down (with volumes) and forget the files and history. */
  async remove(name: string, emit: Emit = () => undefined): Promise<void> {
    const cs = await projectContainers(this.engine, name);
    if (cs.length || (await projectNetworks(this.engine, name)).length) await this.down(name, { volumes: true }, emit);
    this.store.remove(name);
  }

  /** Sets one service's replica count until the next deploy (as `docker compose up --scale`). */
  async scale(name: string, service: string, replicas: number, emit: Emit = () => undefined): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 100) throw new StackError('replicas: a whole number from 0 to 100');
    const project = await this.current(name);
    if (!project.services[service]) throw new StackError(`stack ${name} has no service "${service}"`, 404);
    if (project.services[service]!.containerName && replicas > 1) throw new StackError(`service "${service}" sets container_name, so it cannot have more than one replica`);
    await locked(`${this.opts.root}\0${name}`, () => converge(this.engine, project, emit, { only: [service], replicas: { [service]: replicas }, probeHostPorts: this.opts.local }));
  }

  /** Pulls the images of services that have no build. */
  async pull(name: string, emit: Emit = () => undefined): Promise<void> {
    const project = await this.current(name);
    for (const s of Object.values(project.services)) if (!s.build && s.image) await pullImage(this.engine, s.name, s.image, emit);
  }

  /** Containers whose logs a merged view follows (optionally of some services). */
  async logTargets(name: string, services: string[] = []): Promise<{ service: string; id: string; name: string; number: number }[]> {
    const cs = await this.containersOrThrow(name);
    return cs.filter((c) => !services.length || services.includes(c.service)).map((c) => ({ service: c.service, id: c.id, name: c.name, number: c.number }));
  }

  versions(name: string): VersionMeta[] {
    checkName(name);
    return this.store.versions(name);
  }

  versionContent(name: string, version: number): StackContent {
    checkName(name);
    const c = this.store.content(name, version);
    if (!c) throw new StackError(`stack ${name} has no version ${version}`, 404);
    return c;
  }


  /** Deploys the files of an earlier version again, as a new version. */
  async rollback(input: Omit<DeployInput, 'files' | 'env' | 'assets'> & { version: number }, emit: Emit): Promise<{ version: number; plan: Plan }> {
    const c = this.versionContent(input.name, input.version);
    return this.deploy({ ...input, files: c.files, env: c.env, assets: c.assets, note: input.note ?? `rollback to version ${input.version}` }, emit);
  }
}
