// `docker update` as dockerd does it (moby daemon/update.go): the new limits are recorded at once and
// written to the cgroup of a live process. It never waits behind a stop's grace period, a restart or a
// start under way (the container's operation lock), so the dashboard's "Apply limits" answers at once.
import type { CgroupDriver } from '../cgroups/types.js';
import type { UpdateOptions } from '../engine/engine.js';
import type { ContainerUpdateResponse } from '../engine/types.js';
import { conflict, EngineError, internal } from '../errors.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import type { ContainerManager } from './manager.js';
import type { ContainerRecord } from './record.js';
import { planUpdate } from './update.js';

export interface LiveUpdateDeps {
  containers: ContainerManager;
  cgroups: CgroupDriver;
}

/** A process whose cgroup exists: running, paused, or running out a stop's grace period. */
const live = (rec: ContainerRecord) => rec.state.pid > 0 && (rec.state.status === 'running' || rec.state.status === 'paused');

export class LiveUpdater {
  /** Updates of one container apply in order; nothing else waits for them. */
  private readonly mutex = new KeyedMutex();

  constructor(private readonly d: LiveUpdateDeps) {}

  update(idOrName: string, body: UpdateOptions): Promise<ContainerUpdateResponse> {
    const rec = this.d.containers.get(idOrName);
    const id = rec.cfg.id;
    return this.mutex.run(id, async () => {
      if (rec.state.status === 'removing' || rec.state.status === 'dead') {
        throw conflict(`Cannot update container ${id}: container is marked for removal and cannot be "update"`);
      }
      const plan = await planUpdate(rec.cfg.hostConfig, rec.cfg.limits, body, await this.d.cgroups.capabilities());
      const pid = rec.state.pid;
      if (live(rec)) {
        try {
          await this.d.cgroups.update(id, plan.delta);
        } catch (e) {
          // The process exited meanwhile and its group went with it: the record is enough, as in dockerd.
          if (live(rec)) throw e instanceof EngineError && e.statusCode < 500 ? e : internal(`Cannot update container ${id}: ${(e as Error).message}`, e);
        }
      }
      rec.cfg.hostConfig = plan.hostConfig;
      rec.cfg.limits = plan.limits;
      await this.d.containers.saveConfig(rec);
      this.d.containers.event(rec, 'update');
      // A start under way (a restart, a policy restart) may have made the group from the old limits before
      // the record changed: once it is done, the process it started gets the new ones.
      void this.d.containers
        .exclusive(id, async () => {
          if (live(rec) && rec.state.pid !== pid) await this.d.cgroups.update(id, rec.cfg.limits);
        })
        .catch(() => {});
      return { Warnings: plan.warnings };
    });
  }
}
