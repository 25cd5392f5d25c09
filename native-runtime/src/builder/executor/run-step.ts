// RUN: the command runs in a real container (create, start, wait, remove through the container
// manager, so it gets the runtime's isolation, limits, events and `docker ps -a` visibility), created
// from the previous step's image with the step's config, network `none` unless asked. Its output is
// streamed live from the shim's log. Afterwards the container's upper dir, minus the runtime's own
// mount targets, is committed as the step's layer under the new chain ID.
import path from 'node:path';
import type { ContainerManager } from '../../containers/manager.js';
import type { ContainerCreateBody } from '../../engine/types.js';
import type { ImageStores } from '../../images/open.js';
import type { ContainerConfig } from '../../images/types.js';
import { followLogs } from '../../logs/follow.js';
import type { LogRecord } from '../../logs/record.js';
import { unpackImage } from '../../snapshots/unpack.js';
import { upperView } from '../../snapshots/upper-view.js';
import { toContainer } from '../../userns/tar-ids.js';
import { INIT_LAYER_DIR } from '../../containers/init-layer.js';
import type { ImageRecord } from '../../images/store.js';
import { commitSnapshotLayer, layerOfUpper, type CommittedLayer } from './layer.js';
import { removeRuntimeArtifacts } from './mountpoints.js';
import type { WrittenLayer } from '../../layers/write.js';

export interface RunStepInput {
  containers: ContainerManager;
  stores: ImageStores;
  /** <berth root>/containers: where each container's log lives. */
  containersRoot: string;
  image: ImageRecord;
  config: ContainerConfig;
  argv: string[];
  env: string[];
  network: 'none' | 'host';
  /** Keep the container (rm=false): its snapshot stays its own and the layer is unpacked separately. */
  keepContainer: boolean;
  signal: AbortSignal;
  onStarted(containerId: string): void;
  onOutput(chunk: Buffer): void;
  /** Called with the removal of the container once its layer is committed; the caller awaits it before the build ends. */
  onRemoval?(done: Promise<void>): void;
}

export interface RunStepResult {
  containerId: string;
  exitCode: number;
  /** The last lines of output (for the error message of a failed command). */
  tail: string[];
  /** The step's layer (null: the command changed nothing), committed under `layer.chain`. */
  layer: CommittedLayer | null;
}

export class RunCancelled extends Error {
  constructor() {
    super('build cancelled');
    this.name = 'RunCancelled';
  }
}

const TAIL_LINES = 10;

/** Marks a RUN container that the build removes itself (--rm): one left after a crash is removed at engine start. */
export const BUILD_STEP_LABEL = 'berth.build.step';

function tailKeeper(): { add(b: Buffer): void; lines(): string[] } {
  let text = '';
  return {
    add(b) {
      text = (text + b.toString('utf8')).slice(-8192);
    },
    lines() {
      return text.replace(/\n+$/, '').split('\n').slice(-TAIL_LINES);
    },
  };
}

export async function runStep(inp: RunStepInput): Promise<RunStepResult> {
  const c = inp.config;
  const body: ContainerCreateBody = {
    Image: inp.image.id,
    Cmd: inp.argv,
    Entrypoint: [],
    Env: inp.env,
    WorkingDir: c.WorkingDir,
    User: c.User,
    HostConfig: { NetworkMode: inp.network },
    ...(inp.keepContainer ? {} : { Labels: { [BUILD_STEP_LABEL]: 'rm' } }),
  } as ContainerCreateBody;
  if (inp.signal.aborted) throw new RunCancelled();
  const { id } = await inp.containers.create(body);
  inp.onStarted(id);
  // One removal at a time; a failed one (the container was still starting) may be tried again.
  let removal: Promise<void> | null = null;
  const remove = (): Promise<void> =>
    (removal ??= inp.containers.remove(id, { force: true }).catch(() => {
      removal = null;
    }));
  const onAbort = (): void => void remove();
  inp.signal.addEventListener('abort', onAbort, { once: true });
  // Cancelled while the container was being created: the listener came too late to hear it.
  if (inp.signal.aborted) onAbort();
  try {
    const exited = inp.containers.wait(id, 'next-exit');
    exited.catch(() => {});
    await inp.containers.start(id);
    // Cancelled while it was starting: a removal then may have been refused; now it cannot be.
    if (inp.signal.aborted) throw new RunCancelled();
    const tail = tailKeeper();
    const logs = followLogs(path.join(inp.containersRoot, id, 'log'), { objectMode: true }, exited);
    for await (const r of logs as AsyncIterable<LogRecord>) {
      tail.add(r.payload);
      inp.onOutput(r.payload);
    }
    const { StatusCode } = await exited;
    if (inp.signal.aborted) throw new RunCancelled();
    if (StatusCode !== 0) return { containerId: id, exitCode: StatusCode, tail: tail.lines(), layer: null };
    const layer = await commitContainerLayer(inp, id);
    return { containerId: id, exitCode: 0, tail: tail.lines(), layer };
  } catch (err) {
    if (inp.signal.aborted) throw new RunCancelled();
    throw err;
  } finally {
    inp.signal.removeEventListener('abort', onAbort);
    if (!inp.keepContainer || inp.signal.aborted) {
      // Off the critical path: the next step does not need the container gone, the build's end does.
      const p = remove();
      if (inp.onRemoval && !inp.signal.aborted) inp.onRemoval(p);
      else {
        await p;
        if (removal === null) await remove(); // the one in flight was refused mid-start
      }
    }
  }
}

async function commitContainerLayer(inp: RunStepInput, id: string): Promise<CommittedLayer | null> {
  const rec = inp.containers.all().find((r) => r.cfg.id === id);
  if (!rec) throw new Error(`container ${id.slice(0, 12)} disappeared before its changes were committed`);
  const key = rec.cfg.snapshotKey;
  const snaps = inp.stores.snapshots;
  const m = await snaps.mounts(key);
  const lowers = m.lower.map((l) => path.resolve(m.cwd, l));
  const parentChain = rec.cfg.imageChainId;
  // btrfs/vfs: the init entries are in the container's tree (containers/init-layer.ts); its mount
  // targets are among them, so nothing needs removing.
  const init = [path.join(await snaps.dirPath(key), INIT_LAYER_DIR)];
  // A user namespace fallback's upper holds host ids: never committed as it is, but written with the
  // container's ids and unpacked, as when the container stays.
  const mapIds = rec.cfg.usernsLowers && rec.cfg.userns ? toContainer(rec.cfg.userns) : undefined;
  if (m.rootfs) {
    if (!inp.keepContainer) return commitSnapshotLayer(inp.stores, key, parentChain, init);
  } else {
    await removeRuntimeArtifacts(await snaps.fsPath(key), lowers);
    if (!inp.keepContainer && !mapIds) return commitSnapshotLayer(inp.stores, key, parentChain);
  }
  // The container stays: write the layer from its upper dir and unpack it into a snapshot of its own.
  const view = await upperView(snaps, key, { extraLowers: init });
  const layer: WrittenLayer | null = await layerOfUpper(inp.stores, view.upper, mapIds).finally(() => view.release());
  if (!layer) return null;
  const all = [...inp.image.layers.map((l, i) => ({ digest: l.digest, diffId: inp.image.diffIds[i]! })), { digest: layer.digest, diffId: layer.diffId }];
  const { chainIds, sizes } = await unpackImage(snaps, inp.stores.content, all);
  return { ...layer, chain: chainIds[chainIds.length - 1]!, diffSize: sizes[sizes.length - 1]! };
}
