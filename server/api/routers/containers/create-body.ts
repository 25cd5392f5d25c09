// The create form's fields → the Engine API create body (what `docker run` would send).
import type { ContainerCreateBody, UpdateOptions } from '@berth/runtime/engine';
import type { CreateInput } from './schemas.ts';
import { parseDeviceSpec } from './device-spec.ts';
import { parseBytes, shellSplit } from './units.ts';

const rates = (list: { path: string; rate: string }[]) => list.map((d) => ({ Path: d.path, Rate: parseBytes(d.rate) ?? 0 }));

export function createBody(f: CreateInput): ContainerCreateBody {
  const ports = f.ports;
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const p of ports) {
    const key = `${p.containerPort}/${p.proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp || '', HostPort: p.hostPort || '' });
  }
  const cmd = f.command ? shellSplit(f.command) : null;
  const entrypoint = f.entrypoint ? shellSplit(f.entrypoint) : null;
  const env = f.env.filter((e) => e.key).map((e) => `${e.key}=${e.value}`);
  const labels = Object.fromEntries(f.labels.filter((l) => l.key).map((l) => [l.key, l.value]));
  const body: ContainerCreateBody = {
    name: f.name || undefined,
    Image: f.image,
    Cmd: cmd && cmd.length ? cmd : undefined,
    Entrypoint: entrypoint && entrypoint.length ? entrypoint : undefined,
    Env: env.length ? env : undefined,
    Labels: Object.keys(labels).length ? labels : undefined,
    ExposedPorts: ports.length ? exposed : undefined,
    Tty: f.tty,
    OpenStdin: f.openStdin,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    User: f.user || undefined,
    WorkingDir: f.workdir || undefined,
    HostConfig: {
      PortBindings: ports.length ? bindings : undefined,
      Binds: f.volumes.length ? f.volumes.map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`) : undefined,
      NetworkMode: f.network || undefined,
      RestartPolicy: { Name: f.restart === 'no' ? 'no' : f.restart, MaximumRetryCount: 0 },
      AutoRemove: f.autoRemove,
      ...(f.userns ? { UsernsMode: f.userns } : {}),
      ...(f.privileged ? { Privileged: true } : {}),
      ...(f.devices.length ? { Devices: f.devices.map((d) => parseDeviceSpec(d)).filter((d) => typeof d !== 'string') } : {}),
      Memory: f.memory ? (parseBytes(f.memory) ?? 0) : undefined,
      NanoCpus: f.cpus ? Math.round(Number(f.cpus) * 1e9) : undefined,
      PidsLimit: f.pidsLimit ? Number(f.pidsLimit) : undefined,
      BlkioDeviceReadBps: f.deviceReadBps.length ? rates(f.deviceReadBps) : undefined,
      BlkioDeviceWriteBps: f.deviceWriteBps.length ? rates(f.deviceWriteBps) : undefined,
    },
  };
  return body;
}

/** The Overview tab's limits form → `docker update` options. Empty fields are left as they are. */
export function updateOptions(f: { memory: string; memorySwap: string; cpus: string; pidsLimit: string; restart?: 'no' | 'always' | 'unless-stopped' | 'on-failure' }): UpdateOptions {
  const o: UpdateOptions = {};
  if (f.memory) o.Memory = parseBytes(f.memory) ?? undefined;
  if (f.memorySwap) o.MemorySwap = f.memorySwap === '-1' ? -1 : (parseBytes(f.memorySwap) ?? undefined);
  // Docker refuses a memory limit above the current swap limit unless swap moves too: default to 2×, as `docker run` does.
  if (o.Memory && o.MemorySwap === undefined) o.MemorySwap = o.Memory * 2;
  if (f.cpus) o.NanoCpus = Math.round(Number(f.cpus) * 1e9);
  if (f.pidsLimit) o.PidsLimit = Number(f.pidsLimit);
  if (f.restart) o.RestartPolicy = { Name: f.restart, MaximumRetryCount: 0 };
  return o;
}
