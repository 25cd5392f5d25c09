// Installing a missing Debian package for a starter image, only when we are allowed to.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { access } from 'node:fs/promises';

const run = promisify(execFile);

export async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Ensures `file` exists, installing Debian package `pkg` with apt-get when root; otherwise a clear error. */
export async function ensureHostFile(file: string, pkg: string): Promise<void> {
  if (await exists(file)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${file} is missing: install the Debian package "${pkg}" (apt-get install ${pkg}) or run as root`);
  }
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 << 20,
    });
  } catch (err) {
    throw new Error(`${file} is missing and "apt-get install -y ${pkg}" failed: ${(err as Error).message}`);
  }
  if (!(await exists(file))) throw new Error(`${file} is still missing after installing ${pkg}`);
}
