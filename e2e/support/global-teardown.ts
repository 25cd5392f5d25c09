import fs from 'node:fs';
import path from 'node:path';

/** Removes this run's temporary BERTH_ROOT, run dir and (empty) cgroup parents. */
export default function globalTeardown(): void {
  const root = process.env.BERTH_E2E_ROOT;
  const run = process.env.BERTH_E2E_RUN;
  const cgroup = process.env.BERTH_E2E_CGROUP;
  if (cgroup?.startsWith('berth-e2e-')) {
    for (const controller of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
      const dir = path.join('/sys/fs/cgroup', controller, cgroup);
      try {
        fs.rmdirSync(dir);
      } catch {
        // Not there, or not empty because a test left a container: nothing safe to do here.
      }
    }
  }
  if (run?.startsWith('/run/berth-e2e-')) fs.rmSync(run, { recursive: true, force: true });
  if (root?.includes('berth-e2e-')) fs.rmSync(root, { recursive: true, force: true });
}
