// HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs and the image's VOLUMEs turned into one list of
// mount requests, with Docker's validation and wording (moby volume/mounts/linux_parser.go).
import * as fs from 'node:fs';
import path from 'node:path';
import { badParameter } from '../errors.js';
import type { HostConfig, MountSpec } from '../engine/types.js';
import { checkVolumeName } from './store.js';

export interface MountRequest {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name ('' = anonymous) or bind source. */
  source: string;
  destination: string;
  readOnly: boolean;
  /** The mode text as given in a Binds entry (inspect's Mode). */
  mode: string;
  propagation: string;
  noCopy: boolean;
  labels?: Record<string, string>;
  tmpfs?: { sizeBytes?: number; mode?: number; options?: string[] };
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const BIND_MODES = ['ro', 'rw', 'z', 'Z', 'nocopy', 'idmap', ...PROPAGATIONS];

const cleanTarget = (p: string): string => path.posix.normalize(p).replace(/(.)\/+$/, '$1');

function checkTarget(dest: string, spec: string): string {
  if (!dest) throw badParameter(`invalid volume specification: '${spec}'`);
  if (!dest.startsWith('/')) throw badParameter(`invalid mount config: invalid mount path: '${dest}' mount path must be absolute`);
  const d = cleanTarget(dest);
  if (d === '/') throw badParameter(`invalid specification: destination can't be '/' in '${spec}'`);
  return d;
}

function bindSourceExists(source: string): void {
  if (!fs.existsSync(source)) throw badParameter(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
}

/** One `src:dst[:mode]` Binds entry. */
export function parseBind(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) throw badParameter(`invalid volume specification: '${spec}'`);
  const [src, dst, modeText = ''] = parts as [string, string, string?];
  const modes = modeText ? modeText.split(',') : [];
  for (const m of modes) if (!BIND_MODES.includes(m)) throw badParameter(`invalid mode: ${modeText}`);
  if (modes.includes('ro') && modes.includes('rw')) throw badParameter(`invalid mode: ${modeText}`);
  const bind = src.startsWith('/');
  if (!bind) checkVolumeName(src);
  if (bind && modes.includes('nocopy')) throw badParameter(`invalid mode: ${modeText}`);
  const source = bind ? cleanTarget(src) : src;
  if (bind) bindSourceExists(source);
  return {
    type: bind ? 'bind' : 'volume',
    source,
    destination: checkTarget(dst, spec),
    readOnly: modes.includes('ro'),
    mode: modeText,
    propagation: modes.find((m) => PROPAGATIONS.includes(m)) ?? (bind ? 'rprivate' : ''),
    noCopy: modes.includes('nocopy'),
  };
}

/** One HostConfig.Mounts entry. */
export function parseMountSpec(m: MountSpec): MountRequest {
  const target = checkTarget(m.Target, m.Target);
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) throw badParameter('invalid mount config for type "bind": field Source must not be empty');
      if (!m.Source.startsWith('/')) throw badParameter(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
      if (m.VolumeOptions) throw badParameter('invalid mount config for type "bind": field VolumeOptions must not be specified');
      if (m.TmpfsOptions) throw badParameter('invalid mount config for type "bind": field TmpfsOptions must not be specified');
      bindSourceExists(m.Source);
      const prop = m.BindOptions?.Propagation || 'rprivate';
      if (!PROPAGATIONS.includes(prop)) throw badParameter(`invalid mount config for type "bind": invalid propagation mode: ${prop}`);
      return { type: 'bind', source: cleanTarget(m.Source), destination: target, readOnly: !!m.ReadOnly, mode: '', propagation: prop, noCopy: false };
    }
    case 'volume': {
      if (m.BindOptions) throw badParameter('invalid mount config for type "volume": field BindOptions must not be specified');
      if (m.TmpfsOptions) throw badParameter('invalid mount config for type "volume": field TmpfsOptions must not be specified');
      const driver = m.VolumeOptions?.DriverConfig?.Name;
      if (driver && driver !== 'local') throw badParameter(`invalid mount config for type "volume": volume driver ${driver} is not available in Berth (only local)`);
      if (m.Source) checkVolumeName(m.Source);
      return {
        type: 'volume',
        source: m.Source ?? '',
        destination: target,
        readOnly: !!m.ReadOnly,
        mode: '',
        propagation: '',
        noCopy: !!m.VolumeOptions?.NoCopy,
        labels: m.VolumeOptions?.Labels,
      };
    }
    case 'tmpfs': {
      if (m.Source) throw badParameter('invalid mount config for type "tmpfs": field Source must not be specified');
      if (m.BindOptions || m.VolumeOptions) throw badParameter('invalid mount config for type "tmpfs": only TmpfsOptions may be specified');
      const t = m.TmpfsOptions ?? {};
      return { type: 'tmpfs', source: '', destination: target, readOnly: !!m.ReadOnly, mode: '', propagation: '', noCopy: false, tmpfs: { sizeBytes: t.SizeBytes, mode: t.Mode } };
    }
    default:
      throw badParameter(`invalid mount config: mount type unknown: "${m.Type}"`);
  }
}

/** HostConfig.Tmpfs: {"/run": "rw,noexec,size=65536k"}. */
export function parseTmpfsMap(dest: string, opts: string): MountRequest {
  const options = opts ? opts.split(',').filter(Boolean) : [];
  return {
    type: 'tmpfs',
    source: '',
    destination: checkTarget(dest, dest),
    readOnly: options.includes('ro'),
    mode: '',
    propagation: '',
    noCopy: false,
    tmpfs: { options: options.filter((o) => o !== 'ro' && o !== 'rw') },
  };
}

/** Every mount of a container, in Docker's precedence: Binds and Mounts first (a duplicate target is
 *  an error), then Tmpfs, then the image's VOLUMEs that nothing else covers (anonymous volumes). */
export function mountRequests(h: Partial<HostConfig>, imageVolumes: string[]): MountRequest[] {
  const out: MountRequest[] = [];
  const seen = new Set<string>();
  const add = (r: MountRequest): void => {
    if (seen.has(r.destination)) throw badParameter(`Duplicate mount point: ${r.destination}`);
    seen.add(r.destination);
    out.push(r);
  };
  for (const b of h.Binds ?? []) add(parseBind(b));
  for (const m of h.Mounts ?? []) add(parseMountSpec(m));
  for (const [dest, opts] of Object.entries(h.Tmpfs ?? {})) add(parseTmpfsMap(dest, opts));
  for (const v of imageVolumes) {
    const dest = cleanTarget(v);
    if (!dest.startsWith('/') || seen.has(dest)) continue;
    seen.add(dest);
    out.push({ type: 'volume', source: '', destination: dest, readOnly: false, mode: '', propagation: '', noCopy: false });
  }
  return out;
}
