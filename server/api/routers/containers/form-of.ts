// An existing container → the create form's fields, so the dashboard can duplicate it or edit and
// recreate it (what `docker run` flags would reproduce it; image defaults are left out, as in
// dockerRunCommand). The reverse of createBody.
import type { ContainerInspect } from '@berth/runtime/engine';
import { dockerSize, shellQuote } from '../../../engine/docker-run-command.ts';
import { deviceSpecOf } from './device-spec.ts';
import type { CreateInput } from './schemas.ts';

type ImageDefaults = { Env?: string[] | null; Cmd?: string[] | null; Entrypoint?: string[] | null; WorkingDir?: string; User?: string };

const words = (argv: readonly string[] | null | undefined) => (argv ?? []).map(shellQuote).join(' ');
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const RESTARTS = ['no', 'always', 'unless-stopped', 'on-failure'] as const;

/** Volume mounts the container got from the image's VOLUME lines (no name in its Binds). */
export function anonymousVolumes(c: ContainerInspect): { name: string; target: string }[] {
  const named = new Set((c.HostConfig.Binds ?? []).map((b) => b.split(':')[0]));
  return (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name && !named.has(m.Name)).map((m) => ({ name: m.Name!, target: m.Destination }));
}

export function formOf(c: ContainerInspect, image: ImageDefaults = {}): CreateInput {
  const cfg = c.Config;
  const hc = c.HostConfig;
  const sameEntrypoint = same(cfg.Entrypoint, image.Entrypoint);
  const baseEnv = new Set(image.Env ?? []);
  const ports: CreateInput['ports'] = [];
  for (const [key, binds] of Object.entries(hc.PortBindings ?? {})) {
    const [port, proto] = key.split('/');
    for (const b of binds ?? [{}]) ports.push({ hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '', containerPort: port!, proto: proto === 'udp' ? 'udp' : 'tcp' });
  }
  const volumes: CreateInput['volumes'] = (hc.Binds ?? []).map((b) => {
    const [source = '', target = '', mode = ''] = b.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
  const restart = RESTARTS.find((r) => r === hc.RestartPolicy?.Name) ?? 'no';
  const env = (cfg.Env ?? []).filter((e) => !baseEnv.has(e)).map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? { key: e, value: '' } : { key: e.slice(0, i), value: e.slice(i + 1) };
  });
  return {
    image: cfg.Image,
    name: c.Name.replace(/^\//, ''),
    command: sameEntrypoint && same(cfg.Cmd, image.Cmd) ? '' : words(cfg.Cmd),
    entrypoint: sameEntrypoint ? '' : words(cfg.Entrypoint),
    env,
    labels: Object.entries(cfg.Labels ?? {}).map(([key, value]) => ({ key, value })),
    ports,
    volumes,
    network: hc.NetworkMode && hc.NetworkMode !== 'default' ? hc.NetworkMode : '',
    restart,
    autoRemove: Boolean(hc.AutoRemove),
    userns: hc.UsernsMode === 'host' || hc.UsernsMode === 'auto' ? hc.UsernsMode : '',
    privileged: Boolean(hc.Privileged),
    devices: (hc.Devices ?? []).map(deviceSpecOf),
    tty: Boolean(cfg.Tty),
    openStdin: Boolean(cfg.OpenStdin),
    user: cfg.User && cfg.User !== image.User ? cfg.User : '',
    workdir: cfg.WorkingDir && cfg.WorkingDir !== image.WorkingDir ? cfg.WorkingDir : '',
    memory: hc.Memory ? dockerSize(hc.Memory) : '',
    cpus: hc.NanoCpus ? String(hc.NanoCpus / 1e9) : '',
    pidsLimit: hc.PidsLimit && hc.PidsLimit > 0 ? String(hc.PidsLimit) : '',
    deviceReadBps: (hc.BlkioDeviceReadBps ?? []).map((d) => ({ path: d.Path, rate: dockerSize(d.Rate) })),
    deviceWriteBps: (hc.BlkioDeviceWriteBps ?? []).map((d) => ({ path: d.Path, rate: dockerSize(d.Rate) })),
    start: true,
  };
}
