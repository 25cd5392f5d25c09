// The update service, one per server: the checker (with its cache and backoff), updates that leave a
// history row, and the schedule that checks every endpoint's containers and applies each one's policy
// (label berth.update=auto|notify|off; notify when absent). Events: every outcome is also kept in memory
// for the dashboard's live view.
import { EventEmitter } from 'node:events';
import type { Engine } from '@berth/runtime/engine';
import type { Services } from '../services.ts';
import { authFor } from '../registries/credentials.ts';
import { LOCAL_ENDPOINT } from '../engine/hub.ts';
import { UpdateChecker, type CheckResult } from './check.ts';
import { recordUpdate } from './history.ts';
import { stackPolicies, type Policy } from './stack-policy.ts';
import { updateContainer, type UpdateOptions, type UpdateOutcome } from './update-container.ts';
import { updateStack, type StackUpdateResult } from './update-stack.ts';

export const POLICY_LABEL = 'berth.update';
export type { Policy };
const STACK_LABEL = 'com.docker.compose.project';

/** The container's label first, then its stack's dashboard setting, then `notify`. */
export function policyOf(labels: Record<string, string> | undefined, stacks?: Map<string, Policy>): Policy {
  const v = labels?.[POLICY_LABEL];
  if (v === 'auto' || v === 'off' || v === 'notify') return v;
  const stack = labels?.[STACK_LABEL];
  return (stack !== undefined ? stacks?.get(stack) : undefined) ?? 'notify';
}

export interface UpdateEvent {
  type: 'check' | 'progress' | 'update';
  endpointId: string;
  at: number;
  /** progress: the container (as asked for) and what is happening to it. */
  target?: string;
  step?: string;
  check?: CheckResult;
  outcome?: UpdateOutcome;
  /** The container a check (scheduled pass) or an outcome is about, with its labels (alert rule scopes). */
  container?: { id: string; name: string; labels: Record<string, string> };
}

export class UpdateService {
  readonly checker: UpdateChecker;
  readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | null = null;
  private readonly busy = new Set<string>();

  constructor(private readonly services: Services) {
    this.checker = new UpdateChecker({ authFor: (ref) => authFor(services, ref).catch(() => undefined) });
  }

  /** Settings from the environment: BERTH_UPDATE_PRUNE=1 removes the old image after a success. */
  private get prune(): boolean {
    return process.env['BERTH_UPDATE_PRUNE'] === '1';
  }

  async check(engine: Engine, endpointId: string, force = false): Promise<CheckResult[]> {
    const results = await this.checker.checkAll(engine, endpointId, { force });
    for (const check of results) if (check.status === 'update-available') this.events.emit('event', { type: 'check', endpointId, at: Date.now(), check } satisfies UpdateEvent);
    return results;
  }

  async updateOne(engine: Engine, endpointId: string, id: string, meta: { trigger: string; actor: string | null }, opts: UpdateOptions = {}): Promise<UpdateOutcome> {
    const key = `${endpointId}|${id}`;
    if (this.busy.has(key)) throw new Error('an update of this container is already running');
    this.busy.add(key);
    const startedAt = new Date();
    try {
      const info = await engine.getContainer(id).inspect();
      const authconfig = await authFor(this.services, info.Config.Image).catch(() => undefined);
      const onProgress = (step: string) => this.events.emit('event', { type: 'progress', endpointId, at: Date.now(), target: id, step } satisfies UpdateEvent);
      const o = await updateContainer(engine, id, { prune: this.prune, onProgress, ...opts, ...(authconfig ? { authconfig } : {}) });
      await this.finish(endpointId, o, { ...meta, startedAt }, info.Config.Labels ?? {});
      return o;
    } finally {
      this.busy.delete(key);
    }
  }

  async updateStack(engine: Engine, endpointId: string, stack: string, meta: { actor: string | null }, opts: UpdateOptions = {}): Promise<StackUpdateResult> {
    const startedAt = new Date();
    const onProgress = (step: string) => this.events.emit('event', { type: 'progress', endpointId, at: Date.now(), target: `stack:${stack}`, step } satisfies UpdateEvent);
    return updateStack(engine, stack, {
      prune: this.prune,
      onProgress,
      ...opts,
      onOutcome: async (o) => {
        const labels = (await engine.getContainer(o.currentId).inspect().catch(() => null))?.Config.Labels ?? {};
        await this.finish(endpointId, o, { trigger: `stack:${stack}`, actor: meta.actor, startedAt }, labels);
      },
    });
  }

  private async finish(endpointId: string, o: UpdateOutcome, meta: { trigger: string; actor: string | null; startedAt: Date }, labels: Record<string, string>): Promise<void> {
    if (o.status !== 'up-to-date') await recordUpdate(this.services.db, o, { endpointId, ...meta }).catch(() => undefined);
    const container = { id: o.currentId, name: o.name, labels };
    this.events.emit('event', { type: 'update', endpointId, at: Date.now(), outcome: o, container } satisfies UpdateEvent);
  }

  /** One scheduled pass over an engine: check what each container runs, update those with policy auto. */
  async pass(engine: Engine, endpointId: string): Promise<void> {
    const containers = await engine.listContainers({ all: true });
    const images = new Map((await engine.listImages({})).map((i) => [i.Id, i]));
    const stacks = await stackPolicies(this.services.db, endpointId).catch(() => new Map<string, Policy>());
    for (const c of containers) {
      const policy = policyOf(c.Labels, stacks);
      const image = images.get(c.ImageID);
      if (policy === 'off' || !image || !(image.RepoTags ?? []).includes(c.Image)) continue;
      const r = await this.checker.checkOne(engine, endpointId, c.Image, image);
      if (r.status !== 'update-available') continue;
      const container = { id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), labels: c.Labels ?? {} };
      if (policy === 'auto') await this.updateOne(engine, endpointId, c.Id, { trigger: 'auto', actor: null }).catch(() => undefined);
      else this.events.emit('event', { type: 'check', endpointId, at: Date.now(), check: r, container } satisfies UpdateEvent);
    }
  }

  /** A pass over this machine and every remote endpoint, one after the other. */
  async passAll(): Promise<void> {
    const remotes = await this.services.db.endpoint.findMany({ select: { id: true } }).catch(() => []);
    for (const id of [LOCAL_ENDPOINT, ...remotes.map((r) => r.id)]) {
      const r = await this.services.engines.resolve(id).catch(() => null);
      // resolve() falls back to this machine for an id it no longer knows: never pass over it twice.
      if (r?.ok && r.endpoint.id === id) await this.pass(r.engine, id).catch(() => undefined);
    }
  }

  /** BERTH_UPDATE_INTERVAL_MIN (default 360; 0 = off) between passes over every endpoint. */
  start(): void {
    const minutes = Number(process.env['BERTH_UPDATE_INTERVAL_MIN'] ?? 360);
    if (!(minutes > 0) || this.timer) return;
    this.timer = setInterval(() => void this.passAll().catch(() => undefined), minutes * 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

const instances = new WeakMap<Services, UpdateService>();

/** The update service of a server (made on first use). */
export function updatesOf(services: Services): UpdateService {
  let s = instances.get(services);
  if (!s) instances.set(services, (s = new UpdateService(services)));
  return s;
}
