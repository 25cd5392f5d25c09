// An equivalent `docker run` command for a container, from its inspect document: what the
// "Copy docker run" row action puts on the clipboard.
import type { ContainerInspect } from '@berth/runtime/engine';

/** POSIX-shell quoting: bare when safe, else single quotes. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Bytes in the unit docker run would be given: 67108864 → "64m" (binary units, as Docker's RAMInBytes). */
export function dockerSize(bytes: number): string {
  for (const [unit, mult] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) if (bytes % mult === 0) return `${bytes / mult}${unit}`;
  return `${bytes}b`;
}

export function dockerRunCommand(c: ContainerInspect, imageDefaults: { Env?: string[] | null; Cmd?: string[] | null; Entrypoint?: string[] | null; WorkingDir?: string; User?: string } = {}): string {
  const a: string[] = ['docker', 'run', '-d'];
  const hc = c.HostConfig;
  const cfg = c.Config;
  const name = c.Name.replace(/^\//, '');
  if (name) a.push('--name', name);
  if (hc.AutoRemove) a.push('--rm');
  if (cfg.Tty) a.push('-t');
  if (cfg.OpenStdin) a.push('-i');
  if (cfg.User && cfg.User !== imageDefaults.User) a.push('--user', cfg.User);
  if (cfg.WorkingDir && cfg.WorkingDir !== imageDefaults.WorkingDir) a.push('--workdir', cfg.WorkingDir);
  const baseEnv = new Set(imageDefaults.Env ?? []);
  for (const e of cfg.Env ?? []) if (!baseEnv.has(e)) a.push('-e', e);
  for (const [k, v] of Object.entries(cfg.Labels ?? {})) a.push('--label', `${k}=${v}`);
  for (const [port, bindings] of Object.entries(hc.PortBindings ?? {})) {
    for (const b of bindings ?? [{}]) {
      const ip = b.HostIp && b.HostIp !== '0.0.0.0' ? `${b.HostIp}:` : '';
      a.push('-p', `${ip}${b.HostPort ?? ''}${ip || b.HostPort ? ':' : ''}${port.replace(/\/tcp$/, '')}`);
    }
  }
  for (const bind of hc.Binds ?? []) a.push('-v', bind);
  for (const m of hc.Mounts ?? []) {
    const parts = [`type=${m.Type}`, m.Source ? `source=${m.Source}` : '', `target=${m.Target}`, m.ReadOnly ? 'readonly' : ''].filter(Boolean);
    a.push('--mount', parts.join(','));
  }
  if (hc.NetworkMode && hc.NetworkMode !== 'default' && hc.NetworkMode !== 'bridge') a.push('--network', hc.NetworkMode);
  const rp = hc.RestartPolicy;
  if (rp?.Name && rp.Name !== 'no') a.push('--restart', rp.Name === 'on-failure' && rp.MaximumRetryCount ? `on-failure:${rp.MaximumRetryCount}` : rp.Name);
  if (hc.Memory) a.push('--memory', dockerSize(hc.Memory));
  if (hc.MemorySwap && hc.MemorySwap !== hc.Memory * 2) a.push('--memory-swap', hc.MemorySwap === -1 ? '-1' : dockerSize(hc.MemorySwap));
  if (hc.NanoCpus) a.push('--cpus', String(hc.NanoCpus / 1e9));
  if (hc.CpuShares) a.push('--cpu-shares', String(hc.CpuShares));
  if (hc.CpusetCpus) a.push('--cpuset-cpus', hc.CpusetCpus);
  if (hc.PidsLimit && hc.PidsLimit > 0) a.push('--pids-limit', String(hc.PidsLimit));
  for (const d of hc.BlkioDeviceReadBps ?? []) a.push('--device-read-bps', `${d.Path}:${dockerSize(d.Rate)}`);
  for (const d of hc.BlkioDeviceWriteBps ?? []) a.push('--device-write-bps', `${d.Path}:${dockerSize(d.Rate)}`);
  if (hc.Privileged) a.push('--privileged');
  for (const d of hc.Devices ?? []) {
    const dst = d.PathInContainer && d.PathInContainer !== d.PathOnHost ? `:${d.PathInContainer}` : '';
    a.push('--device', `${d.PathOnHost}${dst}${d.CgroupPermissions && d.CgroupPermissions !== 'rwm' ? `:${d.CgroupPermissions}` : ''}`);
  }
  for (const r of hc.DeviceCgroupRules ?? []) a.push('--device-cgroup-rule', r);
  if (hc.ReadonlyRootfs) a.push('--read-only');
  for (const cap of hc.CapAdd ?? []) a.push('--cap-add', cap);
  for (const cap of hc.CapDrop ?? []) a.push('--cap-drop', cap);
  if (hc.Init) a.push('--init');
  const sameEntrypoint = JSON.stringify(cfg.Entrypoint ?? null) === JSON.stringify(imageDefaults.Entrypoint ?? null);
  if (!sameEntrypoint && cfg.Entrypoint?.length) a.push('--entrypoint', cfg.Entrypoint[0]!);
  a.push(cfg.Image);
  const sameCmd = sameEntrypoint && JSON.stringify(cfg.Cmd ?? null) === JSON.stringify(imageDefaults.Cmd ?? null);
  const extra = !sameEntrypoint && cfg.Entrypoint && cfg.Entrypoint.length > 1 ? cfg.Entrypoint.slice(1) : [];
  if (!sameCmd || extra.length) a.push(...extra, ...(cfg.Cmd ?? []));
  return a.map(shellQuote).join(' ');
}
