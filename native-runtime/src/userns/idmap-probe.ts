// Whether a storage directory can be idmapped (issue #19), asked once per engine as containers/storage's
// overlay driver asks at init: `berth-shim idmap-probe <dir>` tries MOUNT_ATTR_IDMAP from a throwaway user
// namespace. BERTH_USERNS_IDMAP=off skips the attempt and always uses the chowned copies.
import { execFile } from 'node:child_process';
import { z } from 'zod';
import { shimPath } from '../native/index.js';

export const IdmapSettingSchema = z.enum(['auto', 'off']);
export type IdmapSetting = z.infer<typeof IdmapSettingSchema>;

/** BERTH_USERNS_IDMAP: unset or "auto" probes; "off" forces the chowned-copy fallback. */
export function parseIdmapSetting(value: string | undefined): IdmapSetting {
  if (value === undefined || value === '') return 'auto';
  const r = IdmapSettingSchema.safeParse(value.trim().toLowerCase());
  if (!r.success) throw new Error(`BERTH_USERNS_IDMAP must be auto or off (got "${value}")`);
  return r.data;
}

export type IdmapProbe = { idmap: true } | { idmap: false; reason: string };

/** Exit 0: idmapped mounts work; 3: the filesystem refuses them; anything else is an error. */
export function probeIdmap(dir: string): Promise<IdmapProbe> {
  return new Promise((resolve, reject) => {
    execFile(shimPath(), ['idmap-probe', dir], { timeout: 10_000 }, (err, _out, stderr) => {
      if (!err) return resolve({ idmap: true });
      if (err.code === 3) return resolve({ idmap: false, reason: stderr.trim() });
      reject(new Error(`probing idmapped mounts on ${dir}: ${stderr.trim() || err.message}`));
    });
  });
}
