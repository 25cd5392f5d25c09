// After a (re)start of the engine: containers whose shims still run are adopted again, exits that
// happened while no engine ran are recorded (from the shim's exit file, or as lost), and the restart
// policies `always` and `unless-stopped` bring containers back up, as dockerd does at daemon start.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CgroupDriver } from '../cgroups/types.js';
import { startsWithEngine } from '../restart/policy.js';
import { GO_ZERO_TIME, isActive, type ContainerRecord } from './record.js';
import { bootId, EXIT_FILE, isBerthShim, processAlive, readExitFile, readPidFile, type ExitFile } from './shim.js';

/** What recovery needs of the lifecycle (ContainerManager). */
export interface Recoverable {
  all(): ContainerRecord[];
  dirOf(id: string): string;
  runDirOf(id: string): string;
  start(id: string): Promise<void>;
  remove(id: string, opts: { force: boolean }): Promise<void>;
  /** The shim recorded this exit while no engine watched. */
  recordExit(rec: ContainerRecord, exit: ExitFile): Promise<void>;
  /** The run ended with no exit record (host reboot, a killed shim): exit code 255 and this error. */
  recordLost(rec: ContainerRecord, error: string): Promise<void>;
  /** Its shim still runs (pids already in the state): watch it again. */
  adopt(rec: ContainerRecord): Promise<void>;
}

export async function recoverContainers(m: Recoverable, cgroups: CgroupDriver): Promise<void> {
  const boot = bootId();
  for (const rec of m.all()) {
    if (!isActive(rec) && rec.state.status !== 'removing') {
      if (rec.cfg.hostConfig.AutoRemove && rec.state.status === 'exited') await m.remove(rec.cfg.id, { force: true }).catch(() => {});
      continue;
    }
    const id = rec.cfg.id;
    const exit = await readExitFile(path.join(m.dirOf(id), EXIT_FILE));
    const runDir = m.runDirOf(id);
    const pids = readPidFile(path.join(runDir, 'shim.pid'));
    if (exit && !(pids && isBerthShim(pids.shimPid))) {
      await m.recordExit(rec, exit);
    } else if ((rec.state.bootId && rec.state.bootId !== boot) || !(await exists(runDir))) {
      await m.recordLost(rec, 'host rebooted while the container was running');
    } else if (pids && processAlive(pids.shimPid) && isBerthShim(pids.shimPid)) {
      rec.state.shimPid = pids.shimPid;
      rec.state.pid = pids.pid;
      if (rec.state.status === 'removing') rec.state.status = 'running';
      await reconcileFreezer(cgroups, rec);
      await m.adopt(rec);
    } else {
      await m.recordLost(rec, `berth-shim for this container is gone (pid ${rec.state.shimPid}) and left no exit record; its processes were killed`);
    }
  }
}

/**
 * The freezer as the record says: a group frozen without a recorded pause (a crash in the middle of an
 * operation that froze it, or someone behind our back) is thawed, so inspect, unpause and stop tell
 * the truth; a recorded pause whose group is thawed is reported as running.
 */
async function reconcileFreezer(cgroups: CgroupDriver, rec: ContainerRecord): Promise<void> {
  const frozen = await cgroups.frozen(rec.cfg.id).catch(() => false);
  if (rec.state.status === 'paused' && !frozen) rec.state.status = 'running';
  else if (rec.state.status !== 'paused' && frozen) await cgroups.thaw(rec.cfg.id);
}

/** At engine start: `always`, and `unless-stopped` unless stopped by the user, come back up. */
export async function startWithEngine(m: Recoverable): Promise<void> {
  for (const rec of m.all()) {
    if (rec.state.status !== 'exited' && rec.state.status !== 'created') continue;
    if (rec.state.status === 'created' && rec.state.startedAt === GO_ZERO_TIME) continue;
    if (!startsWithEngine(rec.cfg.hostConfig.RestartPolicy, !!rec.state.manuallyStopped)) continue;
    await m.start(rec.cfg.id).catch(() => {});
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}
