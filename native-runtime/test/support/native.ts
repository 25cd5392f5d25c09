// Tests that need the C++ addon. A missing addon is skipped only where it cannot be built (no toolchain);
// on a machine that can build it, a missing addon is a broken install and the suite fails saying so.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/Release/berth_native.node');

export function nativeBuilt(): boolean {
  return existsSync(ADDON);
}

/** node-gyp needs a C++ compiler, make and python3. */
export function canBuildNative(): boolean {
  return ['g++', 'make', 'python3'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
}

/** The `skip` option for tests that need the addon; throws (fails the file) when the addon could be built. */
export function needsNative(): { skip: string | false } {
  if (nativeBuilt()) return { skip: false };
  if (canBuildNative()) {
    throw new Error(`the native addon is missing (${ADDON}) but this machine can build it: run \`npm run build:native -w native-runtime\` or \`npm install\``);
  }
  return { skip: 'native addon not built and this machine has no C++ toolchain (g++, make, python3)' };
}
