// Atomic replace without fsync: temp file + rename. A reader or a crash sees the old file or the new
// one, never a torn one (ext4 also flushes a file's data before a rename over an existing file commits,
// auto_da_alloc). After a crash the *older* version may be what survives, so this is only for files
// whose staleness recovery handles: state.json (re-derived from exit files and live shims), the
// regenerated /etc files, and shim.json on tmpfs. config.json keeps the fsync'ed write.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomHex } from '../util/ids.js';

export async function replaceFile(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomHex(6)}.tmp`);
  try {
    await fsp.writeFile(tmp, data, { mode, flag: 'wx' });
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

export async function replaceJson(file: string, value: unknown, mode = 0o644): Promise<void> {
  await replaceFile(file, JSON.stringify(value, null, 2) + '\n', mode);
}
