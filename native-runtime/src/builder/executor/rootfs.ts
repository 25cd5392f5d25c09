// Paths inside a step's rootfs (a mounted snapshot), resolved the way Docker's FollowSymlinkInScope
// does: every symlink on the way is followed as if the rootfs were `/`, so nothing outside it is ever
// read or written; and the --chown user/group lookup in the rootfs's own passwd and group files.
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/**
 * The host path of container path `p` under `root`, with every symlink followed inside the root.
 * Components that do not exist are kept as written (the result may not exist).
 */
export async function resolveInRoot(root: string, p: string): Promise<string> {
  const base = path.resolve(root);
  const todo = p.split('/').filter((c) => c && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (todo.length) {
    const comp = todo.shift()!;
    if (comp === '..') {
      done.pop();
      continue;
    }
    const cur = path.join(base, ...done, comp);
    const st = await lstatOrNull(cur);
    if (st?.isSymbolicLink()) {
      if (++hops > 255) throw new Error(`too many levels of symbolic links: ${p}`);
      const target = await fsp.readlink(cur);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((c) => c && c !== '.'));
      continue;
    }
    done.push(comp);
  }
  return path.join(base, ...done);
}

/**
 * mkdir -p of `abs` (already resolved inside `root`); new directories get mode 0755 and `owner`,
 * existing ones are left alone (Docker's MkdirAllAndChownNew).
 */
export async function mkdirAllIn(root: string, abs: string, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): Promise<void> {
  const rel = path.relative(root, abs);
  if (rel.startsWith('..')) throw new Error(`${abs} is outside ${root}`);
  let cur = path.resolve(root);
  for (const comp of rel.split(path.sep).filter(Boolean)) {
    cur = path.join(cur, comp);
    const st = await lstatOrNull(cur);
    if (st?.isDirectory()) continue;
    if (st) {
      const e = new Error(`mkdir ${path.relative(root, cur)}: not a directory`) as NodeJS.ErrnoException;
      e.code = 'ENOTDIR';
      throw e;
    }
    await fsp.mkdir(cur, { mode: 0o755 });
    await fsp.chmod(cur, 0o755);
    await fsp.lchown(cur, owner.uid, owner.gid);
  }
}

async function readIn(root: string, file: string): Promise<string | null> {
  try {
    return await fsp.readFile(await resolveInRoot(root, file), 'utf8');
  } catch {
    return null;
  }
}

function lookup(text: string | null, name: string, idField: number): number | undefined {
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length > idField && f[0] === name && /^\d+$/.test(f[idField]!)) return Number(f[idField]);
  }
  return undefined;
}

/**
 * `--chown=user[:group]` as the classic builder resolves it: numbers are taken as they are, names are
 * looked up in the rootfs's /etc/passwd and /etc/group; without a group the user part is used for
 * both. Errors are worded as Docker's.
 */
export async function resolveChown(root: string, chown: string): Promise<{ uid: number; gid: number }> {
  const parts = chown.split(':');
  if (parts.length > 2) throw new Error(`invalid chown string format: ${chown}`);
  const userStr = parts[0]!;
  const grpStr = parts.length === 2 ? parts[1]! : parts[0]!;
  let uid: number | undefined;
  let gid: number | undefined;
  if (/^\d+$/.test(userStr)) uid = Number(userStr);
  else {
    uid = lookup(await readIn(root, '/etc/passwd'), userStr, 2);
    if (uid === undefined) throw new Error(`can't find uid for user ${userStr}: no such user: ${userStr}`);
  }
  if (/^\d+$/.test(grpStr)) gid = Number(grpStr);
  else {
    gid = lookup(await readIn(root, '/etc/group'), grpStr, 2);
    if (gid === undefined) throw new Error(`can't find gid for group ${grpStr}: no such group: ${grpStr}`);
  }
  return { uid, gid };
}

/** `--chmod=0755` (octal, as BuildKit accepts). */
export function parseChmod(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s)) throw new Error(`invalid chmod parameter ${JSON.stringify(s)}: only octal modes such as 755 are supported`);
  return parseInt(s, 8);
}
