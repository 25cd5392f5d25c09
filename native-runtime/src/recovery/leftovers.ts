// What a crash of the engine leaves behind, cleaned once at start while the root's lock is held (so no
// build, load or copy of this root can be running):
//   - a build's RUN container (builder/executor/run-step.ts, labelled BUILD_STEP_LABEL when --rm),
//   - build temp dirs (build/tmp: step dirs, extracted contexts) and step mounts (build/mnt),
//   - export mounts (tmp/export-*),
//   - `docker cp` spools (containers/<id>/put-*.tar, get-*.tar; container-fs/archive.ts),
//   - blobs and committed snapshots that no image or container needs: the configs and layers of an
//     interrupted load (archive/load.ts cleans them only when it gets to fail), of an interrupted build.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gc } from '../archive/gc.js';
import { BUILD_STEP_LABEL } from '../builder/executor/run-step.js';
import { cleanupStaleWorkspaces } from '../builder/executor/workspace.js';
import type { ContainerManager } from '../containers/manager.js';
import type { ImageStores } from '../images/open.js';
import { MNT_DETACH, umount } from '../native/index.js';

export interface LeftoverReport {
  containers: string[];
  paths: string[];
  blobs: string[];
  snapshots: string[];
  /** Steps that failed: the engine starts anyway, and the next start tries again. */
  errors: string[];
}

const SPOOL = /^(?:put|get)-[0-9a-f]+\.tar$/;

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Detaches every mount at or below `dir`, deepest first, so that removing `dir` never reaches into a mounted tree. */
function unmountUnder(dir: string): void {
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMount)
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      umount(p, MNT_DETACH);
    } catch {
      /* gone meanwhile */
    }
  }
}

/** Removes every entry of `dir` (the dir itself stays), after detaching whatever is mounted there. */
async function emptyDir(dir: string, out: string[]): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return; // never made
  }
  unmountUnder(dir);
  for (const n of names) {
    const p = path.join(dir, n);
    await fsp.rm(p, { recursive: true, force: true });
    out.push(p);
  }
}

export async function cleanCrashLeftovers(d: { root: string; stores: ImageStores; containers: ContainerManager }): Promise<LeftoverReport> {
  const report: LeftoverReport = { containers: [], paths: [], blobs: [], snapshots: [], errors: [] };
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      report.errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  // A RUN step's container outlives a crash in its shim; nobody will commit or remove it now.
  for (const rec of d.containers.all()) {
    if (rec.cfg.config.Labels?.[BUILD_STEP_LABEL] === undefined) continue;
    await step(`remove build container ${rec.cfg.id}`, async () => {
      await d.containers.remove(rec.cfg.id, { force: true });
      report.containers.push(rec.cfg.id);
    });
  }

  await step('build temp dirs', () => emptyDir(path.join(d.root, 'build', 'tmp'), report.paths));
  await step('build step mounts', () => cleanupStaleWorkspaces(d.stores, path.join(d.root, 'build', 'mnt'), new Set()));
  await step('export mounts', () => emptyDir(path.join(d.root, 'tmp'), report.paths));

  for (const rec of d.containers.all()) {
    const dir = path.join(d.root, 'containers', rec.cfg.id);
    await step(`cp spools of ${rec.cfg.id}`, async () => {
      const names = await fsp.readdir(dir).catch(() => [] as string[]);
      for (const n of names.filter((x) => SPOOL.test(x))) {
        await fsp.rm(path.join(dir, n), { force: true });
        report.paths.push(path.join(dir, n));
      }
    });
  }

  // The same rule as `docker image prune`'s collection: what no image record, container or lease names.
  await step('unreferenced blobs and snapshots', async () => {
    const all = d.containers.all();
    const res = await gc(d.stores, { images: all.map((r) => r.cfg.imageId), snapshots: all.map((r) => r.cfg.snapshotKey) });
    report.blobs = res.deletedBlobs;
    report.snapshots = res.deletedSnapshots;
  });
  if (report.errors.length) process.emitWarning(`Berth: crash leftovers not cleaned: ${report.errors.join('; ')}`);
  return report;
}
