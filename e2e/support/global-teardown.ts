import fs from 'node:fs';

/** Removes this run's temporary BERTH_ROOT. */
export default function globalTeardown(): void {
  const root = process.env.BERTH_E2E_ROOT;
  if (root && root.includes('berth-e2e-')) fs.rmSync(root, { recursive: true, force: true });
}
