// The create body that reproduces a container on a newer image: its own settings exactly (name, mounts,
// networks and aliases, ports, labels, limits, restart policy), minus the values it only inherited from
// the old image, so the new image's defaults (Cmd, Env, Healthcheck, labels...) take their place. This
// is how Watchtower recreates a container; `docker compose` does the same from the project file.
import type { ContainerCreateBody, ContainerInspect, ImageInspect } from '@berth/runtime/engine';

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function recreateBody(c: ContainerInspect, oldImage: Pick<ImageInspect, 'Config'> | null, image: string): ContainerCreateBody {
  const img = (oldImage?.Config ?? {}) as NonNullable<ImageInspect['Config']>;
  const cfg = { ...c.Config } as Record<string, unknown> & ContainerInspect['Config'];
  const inherited = new Set(img.Env ?? []);
  const env = (cfg.Env ?? []).filter((e) => !inherited.has(e));
  const imgLabels = (img.Labels ?? {}) as Record<string, string>;
  const labels = Object.fromEntries(Object.entries(cfg.Labels ?? {}).filter(([k, v]) => imgLabels[k] !== v));
  const body: Record<string, unknown> = { ...cfg, Image: image, Env: env, Labels: labels };
  // Cmd goes with Entrypoint: keep both when either was the container's own, as dockerd merges them.
  if (same(cfg.Entrypoint, img.Entrypoint) && same(cfg.Cmd, img.Cmd)) {
    delete body['Cmd'];
    delete body['Entrypoint'];
  }
  for (const k of ['Healthcheck', 'WorkingDir', 'User', 'StopSignal', 'ExposedPorts', 'Volumes', 'OnBuild', 'Shell'] as const) {
    if (same(cfg[k], img[k])) delete body[k];
  }
  // dockerd sets Hostname to the short id unless it was given; a new container gets its own.
  if (cfg.Hostname === c.Id.slice(0, 12)) delete body['Hostname'];
  delete body['Image'];
  body['Image'] = image;

  const hostConfig = { ...c.HostConfig } as Record<string, unknown>;
  // Anonymous volumes (from the image's VOLUME lines) must follow the container, or its data stays behind.
  const named = new Set((c.HostConfig.Binds ?? []).map((b) => b.split(':')[0]));
  const mountTargets = new Set(((hostConfig['Mounts'] as { Target?: string }[] | undefined) ?? []).map((m) => m.Target));
  const anon = (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name && !named.has(m.Name) && !mountTargets.has(m.Destination));
  const binds = [...(c.HostConfig.Binds ?? []), ...anon.map((m) => `${m.Name}:${m.Destination}${m.RW === false ? ':ro' : ''}`)];
  if (binds.length) hostConfig['Binds'] = binds;

  const endpoints: Record<string, unknown> = {};
  for (const [net, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    const e = ep as { Aliases?: string[] | null; IPAMConfig?: unknown; Links?: string[] | null; DriverOpts?: unknown };
    // dockerd adds the short id as an alias; the new container gets its own.
    const aliases = (e.Aliases ?? []).filter((a) => a !== c.Id.slice(0, 12));
    endpoints[net] = { ...(aliases.length ? { Aliases: aliases } : {}), ...(e.IPAMConfig ? { IPAMConfig: e.IPAMConfig } : {}), ...(e.Links?.length ? { Links: e.Links } : {}) };
  }
  return {
    ...(body as ContainerCreateBody),
    name: c.Name.replace(/^\//, ''),
    HostConfig: hostConfig as ContainerCreateBody['HostConfig'],
    ...(Object.keys(endpoints).length ? { NetworkingConfig: { EndpointsConfig: endpoints } } : {}),
  } as ContainerCreateBody;
}
