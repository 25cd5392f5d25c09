// Container create (create/config): the body checked (everything start would refuse is a 400 now),
// the image's config merged in, limits, capabilities and security options resolved, the snapshot
// prepared under a lease, the init layer and /etc files written, volumes, the network endpoint and the
// user namespace set up; then the record is added. A failure undoes every part.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { withLease } from '../archive/lease.js';
import type { CgroupDriver } from '../cgroups/types.js';
import { resolveLimits } from '../cgroups/limits.js';
import type { ContainerCreateBody } from '../engine/types.js';
import { ContainerCreateBodySchema } from '../engine/schemas.js';
import { badParameter, conflict, internal, noSuchImage } from '../errors.js';
import type { ImageStores } from '../images/open.js';
import { rfc3339Nano } from '../images/time.js';
import { writeEtcFiles, hostsText } from '../networks/etc-files.js';
import type { NetworkEndpoints } from '../networks/index.js';
import { chainIds } from '../snapshots/chain.js';
import { unpackImage } from '../snapshots/unpack.js';
import { limitSnapshotSize, storageOptSize } from '../snapshots/quota.js';
import type { UsernsService } from '../userns/index.js';
import { prepareFallback } from '../userns/fallback.js';
import { randomId } from '../util/ids.js';
import type { VolumeService } from '../volumes/index.js';
import { leftOutWarning, resolveCapabilities } from './capabilities.js';
import { fullHostConfig, mergeConfig, netNamespace } from './config-merge.js';
import { DeviceError, resolveDevices } from './devices.js';
import { INIT_LAYER_DIR, writeInitLayer, copyInitLayer } from './init-layer.js';
import { initialState, type ContainerConfigFile, type ContainerRecord } from './record.js';
import { securitySettings } from './security-opt.js';
import { logRotation } from './spec.js';
import type { ContainerStore } from './store.js';
import { resolveUlimits } from './ulimits.js';
import { parseRamSize } from './units.js';

export const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export const SNAPSHOT_PREFIX = 'container-';

export interface CreateDeps {
  store: ContainerStore;
  stores: ImageStores;
  cgroups: CgroupDriver;
  volumes: VolumeService;
  networks: NetworkEndpoints<ContainerRecord>;
  userns: UsernsService;
  emit(rec: ContainerRecord, action: string): void;
}

export async function createContainer(d: CreateDeps, body: ContainerCreateBody): Promise<{ id: string; warnings: string[] }> {
  const parsed = ContainerCreateBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badParameter(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const h = body.HostConfig ?? {};
  const policy = h.RestartPolicy?.Name ?? '';
  if (h.AutoRemove && policy !== '' && policy !== 'no') throw conflict('Conflicting options: AutoRemove and restart policy');
  if (policy !== 'on-failure' && h.RestartPolicy?.MaximumRetryCount) {
    throw badParameter(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  netNamespace(h.NetworkMode);
  d.networks.resolveMode(body);
  const rec0 = await d.stores.images.find(body.Image!).catch(() => null);
  if (!rec0) throw noSuchImage(body.Image!);
  const image = rec0;
  const imageConfig = await d.stores.images.config(image);
  const id = randomId();
  let name: string;
  if (body.name) {
    name = body.name.startsWith('/') ? body.name : `/${body.name}`;
    if (!NAME_RE.test(name)) throw badParameter(`Invalid container name (${body.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    d.store.checkName(name);
  } else {
    name = d.store.uniqueRandomName();
  }
  const config = mergeConfig(body, imageConfig.config ?? null, body.Image!, id);
  const hostConfig = fullHostConfig(h);
  const caps = await d.cgroups.capabilities();
  const { limits, warnings } = await resolveLimits(hostConfig, caps);
  if (limits.memorySwap !== undefined && !hostConfig.MemorySwap) hostConfig.MemorySwap = limits.memorySwap;
  // Everything that start() would refuse is refused now, as a 400 at create.
  // Unknown capabilities and security options are 400s; capabilities the engine lacks and options it
  // cannot apply are warnings in the create response.
  warnings.push(...leftOutWarning(resolveCapabilities(hostConfig).leftOut));
  warnings.push(...securitySettings(hostConfig.SecurityOpt, hostConfig.Privileged).warnings);
  // Privileged: the devices cgroup allows every device (v1; see cgroups/v1.ts).
  if (hostConfig.Privileged) limits.allDevices = true;
  // --device / --device-cgroup-rule: a path that is not a device answers dockerd's message now (dockerd
  // itself fails at start); the start resolves the nodes again for the shim (spec.ts).
  try {
    const devices = resolveDevices(hostConfig.Devices, hostConfig.DeviceCgroupRules);
    if (devices.rules.length) limits.deviceRules = devices.rules;
  } catch (e) {
    if (e instanceof DeviceError) throw badParameter(e.message);
    throw e;
  }
  resolveUlimits(hostConfig.Ulimits);
  hostsText({ hostname: config.Hostname, extraHosts: hostConfig.ExtraHosts });
  d.volumes.validate(hostConfig, Object.keys(config.Volumes ?? {}));
  d.userns.validate(hostConfig);
  const entry = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  const cfgPartial = { hostConfig } as ContainerConfigFile;
  logRotation(cfgPartial);
  if (!image.diffIds.length) throw badParameter(`image ${body.Image} has no layers to run`);
  const sizeLimit = await storageOptSize(d.stores.snapshots, h.StorageOpt, parseRamSize).catch((e: Error) => {
    throw badParameter(e.message);
  });

  const snapshotKey = `${SNAPSHOT_PREFIX}${id}`;
  const chain = chainIds(image.diffIds);
  const top = chain[chain.length - 1]!;
  // A lease keeps a concurrent rmi or prune from collecting the layers between unpack and prepare.
  await withLease(d.stores, `create ${id}`, async (lease) => {
    lease.addImage(image.id);
    for (const l of image.layers) lease.addBlob(l.digest);
    for (const c of chain) lease.addSnapshot(c);
    await unpackImage(
      d.stores.snapshots,
      d.stores.content,
      image.layers.map((l, i) => ({ digest: l.digest, diffId: image.diffIds[i]! })),
    );
    await d.stores.snapshots.prepare(snapshotKey, top, { labels: { 'berth.container': id }, durability: 'deferred' });
  });
  if (sizeLimit !== undefined) {
    await limitSnapshotSize(d.stores.snapshots, snapshotKey, sizeLimit).catch(async (e: Error) => {
      await d.stores.snapshots.remove(snapshotKey).catch(() => {});
      throw internal(`--storage-opt size: ${e.message}`, e);
    });
  }
  let made: ContainerRecord | undefined;
  let pinned: string[] | undefined;
  try {
    const userns = await d.userns.forCreate(id, hostConfig);
    const lowerDirs = await Promise.all([...chainIds(image.diffIds)].reverse().map((c) => d.stores.snapshots.dirPath(c)));
    const own = await d.stores.snapshots.dirPath(snapshotKey);
    writeInitLayer(path.join(own, INIT_LAYER_DIR));
    const tree = d.stores.snapshots.driver === 'overlay' ? undefined : (await d.stores.snapshots.mounts(snapshotKey)).rootfs;
    if (tree) copyInitLayer(path.join(own, INIT_LAYER_DIR), tree);
    // Where the storage refuses idmapped mounts: chowned copies of the layers (src/userns/fallback.ts).
    const copies = userns
      ? await prepareFallback(d.userns, userns, {
          driver: d.stores.snapshots.driver,
          storageRoot: d.stores.snapshots.root,
          layers: lowerDirs.map((dir) => ({ name: path.basename(dir), dir: `${dir}/fs` })),
          init: path.join(own, INIT_LAYER_DIR),
          upper: `${own}/fs`,
        })
      : undefined;
    pinned = copies;
    const cfg: ContainerConfigFile = {
      id,
      name,
      created: rfc3339Nano(),
      imageId: image.id,
      imageChainId: top,
      snapshotKey,
      config,
      hostConfig,
      path: entry[0]!,
      args: entry.slice(1),
      limits,
      warnings,
      storageDriver: d.stores.snapshots.driver,
      graphDriver: tree ? {} : {
        // The init layer first, as dockerd lists its <id>-init layer.
        LowerDir: [path.join(own, INIT_LAYER_DIR), ...(copies ?? lowerDirs.map((d) => `${d}/fs`))].join(':'),
        MergedDir: `${own}/merged`,
        UpperDir: `${own}/fs`,
        WorkDir: `${own}/work`,
      },
      ...(userns ? { userns } : {}),
      ...(copies ? { usernsLowers: copies } : {}),
    };
    fs.mkdirSync(d.store.dir(id), { recursive: true, mode: 0o700 });
    // The container's root sets up its mounts with its own ids: the bind sources (/etc files here) must
    // be reachable, as dockerd makes its root traversable for the remapped root. Search only, no listing.
    if (userns) for (const dir of [path.dirname(path.dirname(d.store.dir(id))), path.dirname(d.store.dir(id)), d.store.dir(id)]) fs.chmodSync(dir, 0o711);
    await writeEtcFiles(d.store.dir(id), {
      hostname: config.Hostname,
      domainname: config.Domainname,
      extraHosts: hostConfig.ExtraHosts,
      dnsSearch: hostConfig.DnsSearch,
      dnsOptions: hostConfig.DnsOptions,
    });
    const rec: ContainerRecord = { cfg, state: initialState() };
    made = rec;
    const mounts = await d.volumes.resolve(hostConfig, Object.keys(config.Volumes ?? {}), () => d.stores.snapshots.mounts(snapshotKey), d.store.dir(id), userns);
    if (mounts) cfg.mounts = mounts;
    await d.networks.attachAtCreate(rec, body);
    await d.store.add(rec);
    d.emit(rec, 'create');
    return { id, warnings };
  } catch (e) {
    if (made) {
      await d.networks.release(made).catch(() => {});
      await d.volumes.containerRemoved(made.cfg.mounts, true).catch(() => {});
    }
    await d.stores.snapshots.remove(snapshotKey).catch(() => {});
    await fsp.rm(d.store.dir(id), { recursive: true, force: true });
    await d.userns.release(id).catch(() => {});
    if (pinned) {
      d.userns.unpinCopies(pinned);
      pinned = undefined;
      await d.userns.collectCopies(d.store.all().map((r) => r.cfg.usernsLowers)).catch(() => {});
    }
    throw e;
  } finally {
    // Stored (or failed): from here the record keeps its copies, or a collection removes them.
    if (pinned) d.userns.unpinCopies(pinned);
  }
}
