// The Engine interface over the real dockerode package, so the dashboard drives a remote Docker (or
// Podman's Docker API) with the same code that drives Berth's embedded engine. Thin on purpose: the
// interface is dockerode's shape already; this only normalises streams and errors.
import type { Duplex, Readable } from 'node:stream';
import Docker from 'dockerode';
import { EngineError } from '@berth/runtime/errors';
import { classicBuildRecords } from './classic-build-records.ts';
import type {
  ContainerHandle,
  Engine,
  ExecHandle,
  ImageHandle,
  NetworkHandle,
  VolumeHandle,
} from '@berth/runtime/engine';

/* eslint-disable @typescript-eslint/no-explicit-any -- dockerode's own types lag its runtime API */
type Any = any;

/** docker-modem errors carry statusCode and json; turn them into the one EngineError class. */
function toEngineError(err: unknown): never {
  if (err instanceof EngineError) throw err;
  const e = err as { statusCode?: number; json?: { message?: string } | null; reason?: string; message?: string };
  if (typeof e?.statusCode === 'number') {
    const message = e.json?.message ?? e.reason ?? e.message ?? 'Docker error';
    throw new EngineError(e.statusCode, message, { cause: err });
  }
  throw new EngineError(500, `cannot reach the Docker endpoint: ${e?.message ?? String(err)}`, { cause: err });
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return toEngineError(err);
  }
}

function container(docker: Docker, id: string): ContainerHandle {
  const c: Any = docker.getContainer(id);
  const handle: ContainerHandle = {
    id,
    inspect: (o) => call(() => c.inspect(o ?? {})),
    start: (o) => call(() => c.start(o ?? {})).then(() => undefined),
    stop: (o) => call(() => c.stop(o ?? {})).then(() => undefined),
    kill: (o) => call(() => c.kill(o ?? {})).then(() => undefined),
    restart: (o) => call(() => c.restart(o ?? {})).then(() => undefined),
    remove: (o) => call(() => c.remove(o ?? {})).then(() => undefined),
    wait: (o) => call(() => c.wait(o ?? {})),
    rename: (o) => call(() => c.rename(o)).then(() => undefined),
    logs: ((o?: Any) => call(() => c.logs(o ?? {}))) as ContainerHandle['logs'],
    stats: ((o?: Any) => call(() => c.stats(o ?? {}))) as ContainerHandle['stats'],
    top: (o) => call(() => c.top(o ?? {})),
    changes: () => call(() => c.changes()),
    exec: async (o) => exec(docker, (await call<Any>(() => c.exec(o))).id),
    attach: (o) => call(() => c.attach(o)) as Promise<Duplex>,
    resize: (o) => call(() => c.resize(o)).then(() => undefined),
    pause: () => call(() => c.pause()).then(() => undefined),
    unpause: () => call(() => c.unpause()).then(() => undefined),
    update: (o) => call(() => c.update(o)),
    getArchive: (o) => call(() => c.getArchive(o)) as Promise<Readable>,
    putArchive: (tar, o) => call(() => c.putArchive(tar, o)).then(() => undefined),
    infoArchive: async (o) => {
      const res: Any = await call(() => c.infoArchive(o));
      // dockerode resolves with the raw response; the stat travels base64 JSON in a header.
      const header = res?.headers?.['x-docker-container-path-stat'];
      return header ? JSON.parse(Buffer.from(String(header), 'base64').toString('utf8')) : res;
    },
    export: () => call(() => c.export()) as Promise<Readable>,
    commit: (o) => call(() => c.commit(o ?? {})),
  };
  return handle;
}

function exec(docker: Docker, id: string): ExecHandle {
  const e: Any = docker.getExec(id);
  return {
    id,
    start: (o) => call(() => e.start(o ?? {})) as Promise<Duplex>,
    resize: (o) => call(() => e.resize(o)).then(() => undefined),
    inspect: () => call(() => e.inspect()),
  };
}

function image(docker: Docker, name: string): ImageHandle {
  const i: Any = docker.getImage(name);
  return {
    name,
    inspect: () => call(() => i.inspect()),
    history: () => call(() => i.history()),
    remove: (o) => call(() => i.remove(o ?? {})),
    tag: (o) => call(() => i.tag(o)).then(() => undefined),
    push: (o) => call(() => i.push(o ?? {})) as Promise<Readable>,
    get: () => call(() => i.get()) as Promise<Readable>,
    distribution: (o) => call(() => i.distribution(o?.authconfig ? { authconfig: o.authconfig } : {})),
  };
}

function volume(docker: Docker, name: string): VolumeHandle {
  const v: Any = docker.getVolume(name);
  return {
    name,
    inspect: () => call(() => v.inspect()),
    remove: (o) => call(() => v.remove(o ?? {})).then(() => undefined),
  };
}

function network(docker: Docker, id: string): NetworkHandle {
  const n: Any = docker.getNetwork(id);
  return {
    id,
    inspect: () => call(() => n.inspect()),
    remove: () => call(() => n.remove()).then(() => undefined),
    connect: (o) => call(() => n.connect(o)).then(() => undefined),
    disconnect: (o) => call(() => n.disconnect(o)).then(() => undefined),
  };
}

export interface DockerEndpointOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  ca?: string;
  cert?: string;
  key?: string;
}

export function createDockerodeEngine(opts: DockerEndpointOptions): Engine {
  const docker = new Docker(opts as Docker.DockerOptions);
  const d: Any = docker;
  return {
    listContainers: (o) => call(() => d.listContainers(o ?? {})),
    createContainer: async (body) => container(docker, (await call<Any>(() => d.createContainer(body))).id),
    getContainer: (id) => container(docker, id),
    pruneContainers: (o) => call(() => d.pruneContainers(o ?? {})),
    listImages: (o) => call(() => d.listImages(o ?? {})),
    getImage: (name) => image(docker, name),
    importImage: (tar, o) => call(() => d.importImage(tar, o ?? {})),
    loadImage: (tar, o) => call(() => d.loadImage(tar, o ?? {})),
    buildImage: (ctx, o) => call(() => d.buildImage(ctx, o ?? {})),
    buildImageRecords: async (ctx, o) => classicBuildRecords(await call<Readable>(() => d.buildImage(ctx, o ?? {}))),
    pull: (ref, o) => call(() => d.pull(ref, o ?? {})),
    checkAuth: (a) => call(() => d.checkAuth(a) as Promise<{ IdentityToken?: string; Status: string }>),
    pruneImages: (o) => call(() => d.pruneImages(o ?? {})),
    createVolume: (o) => call(() => d.createVolume(o ?? {})),
    listVolumes: (o) => call(() => d.listVolumes(o ?? {})),
    getVolume: (name) => volume(docker, name),
    pruneVolumes: (o) => call(() => d.pruneVolumes(o ?? {})),
    createNetwork: async (o) => network(docker, (await call<Any>(() => d.createNetwork(o))).id),
    listNetworks: (o) => call(() => d.listNetworks(o ?? {})),
    getNetwork: (id) => network(docker, id),
    pruneNetworks: (o) => call(() => d.pruneNetworks(o ?? {})),
    getExec: (id) => exec(docker, id),
    getEvents: (o) => call(() => d.getEvents(o ?? {})),
    info: () => call(() => d.info()),
    version: () => call(() => d.version()),
    ping: () => call(() => d.ping()),
    df: () => call(() => d.df()),
  };
}
