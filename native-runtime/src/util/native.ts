// Thin, lazy access to the native addon for the few calls this part of the library needs.
// Lazy so that modules which only sometimes need the addon (e.g. tar code paths without
// whiteouts) still load on a machine where it has not been built yet.
import type { NativeResult } from '../native/types.js';

export interface NativeOps {
  mknod(path: string, mode: number, major: number, minor: number): void;
  setxattr(path: string, name: string, value: Buffer): void;
  getxattr(path: string, name: string): Buffer | null;
  mountOverlay(opts: { cwd: string; lower: string[]; upper?: string; work?: string; target: string; readonly?: boolean }): void;
  umount(target: string, flags: number): void;
}

let cached: Promise<NativeOps> | undefined;

export function nativeOps(): Promise<NativeOps> {
  cached ??= load();
  return cached;
}

async function load(): Promise<NativeOps> {
  // A variable specifier keeps this file type-checking while the wrapper module is being written.
  const spec = '../native/index.js';
  const mod = (await import(spec)) as Record<string, unknown>;
  const pick = (name: string): ((...a: unknown[]) => unknown) => {
    const holders = [mod, mod['default'], mod['native'], mod['addon']] as Array<Record<string, unknown> | undefined>;
    for (const h of holders) {
      const f = h?.[name];
      if (typeof f === 'function') return (f as (...a: unknown[]) => unknown).bind(h);
    }
    throw new Error(`native addon wrapper does not export ${name}()`);
  };
  // The wrappers throw on failure; unwrap a raw NativeResult too, should we be handed the addon itself.
  const call = <T>(name: string) => {
    const f = pick(name);
    return (...args: unknown[]): T => {
      const r = f(...args) as NativeResult<T> | T;
      if (r && typeof r === 'object' && 'ok' in (r as object) && ('value' in (r as object) || 'error' in (r as object))) {
        const nr = r as NativeResult<T>;
        if (nr.ok) return nr.value;
        const e = new Error(`${name}: ${nr.error.message}`) as NodeJS.ErrnoException;
        e.errno = nr.error.errno;
        throw e;
      }
      return r as T;
    };
  };
  return {
    mknod: call<void>('mknod'),
    setxattr: call<void>('setxattr'),
    getxattr: call<Buffer | null>('getxattr'),
    mountOverlay: call<void>('mountOverlay'),
    umount: call<void>('umount'),
  };
}
