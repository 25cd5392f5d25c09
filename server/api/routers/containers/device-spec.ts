// The create form's Devices field: `docker run --device` syntax (host[:container][:permissions]), parsed
// as the docker CLI does (cli/opts parseLinuxDevice), into HostConfig.Devices entries.
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

const MODE = /^[rwm]{1,3}$/;
const validMode = (m: string) => MODE.test(m) && new Set(m).size === m.length;

/** The mapping, or an error message that names the entry. */
export function parseDeviceSpec(spec: string): DeviceMapping | string {
  const parts = spec.split(':');
  if (parts.length > 3) return `invalid device specification: ${spec}`;
  const [src = '', second, third] = parts;
  let dst = '';
  let perms = 'rwm';
  if (third !== undefined) perms = third;
  if (second !== undefined) {
    if (third === undefined && validMode(second)) perms = second;
    else dst = second;
  }
  if (!src.startsWith('/')) return `bad format for path: ${src || spec}`;
  if (dst && !dst.startsWith('/')) return `bad format for path: ${dst}`;
  if (!validMode(perms)) return `invalid device mode: ${perms}`;
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: perms };
}

/** A mapping back in `--device` syntax (the shortest form the CLI reads the same). */
export function deviceSpecOf(d: DeviceMapping): string {
  const dst = d.PathInContainer && d.PathInContainer !== d.PathOnHost ? `:${d.PathInContainer}` : '';
  const perms = d.CgroupPermissions && d.CgroupPermissions !== 'rwm' ? `:${d.CgroupPermissions}` : '';
  return `${d.PathOnHost}${dst}${perms}`;
}
