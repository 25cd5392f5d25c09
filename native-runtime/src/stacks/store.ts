// A stack's files on disk: $BERTH_ROOT/stacks/<name>/ is the project's working directory (the compose
// files, .env and build contexts of the current version, so `docker-compose ps` works there), and
// .berth/ beside them keeps one copy per deploy for history and rollback.
import fs from 'node:fs';
import path from 'node:path';
import { StackError } from './errors.ts';
import type { ComposeFile } from './load.ts';

export interface StackAsset {
  /** Relative path inside the stack folder (build contexts, env_file, secrets). */
  path: string;
  /** Base64. */
  content: string;
}

export interface VersionMeta {
  version: number;
  createdAt: string;
  user: string;
  /** Compose file names, in merge order. */
  files: string[];
  assets: string[];
  note: string;
  result: 'deploying' | 'deployed' | 'failed';
  error: string | null;
}

export interface StackMeta {
  name: string;
  createdAt: string;
  updatedAt: string;
  current: number;
  profiles: string[];
}

export interface StackContent {
  files: ComposeFile[];
  env: string;
  assets: StackAsset[];
}

const META_DIR = '.berth';
export const COMPOSE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.ya?ml$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._@+-]{0,254}$/;

/** A relative path that stays in the stack folder and does not touch .berth/. */
export function checkRelativePath(p: string): string | null {
  const parts = p.split('/');
  if (parts.length > 32 || p.length > 1024) return 'path too long';
  for (const s of parts) if (!SEGMENT.test(s) && s !== '.env' && s !== '.dockerignore') return `invalid path ${JSON.stringify(p)} (relative, no "..", letters, digits and ._-@+)`;
  if (parts[0] === META_DIR) return `${META_DIR}/ is Berth's own folder`;
  return null;
}

function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
  fs.renameSync(tmp, file);
}

/**
 * Writes a file below `dir` without following symlinks: a container that bind-mounts part of the stack
 * folder may have planted one, and a write must never leave the folder.
 */
/** Throws when writing `rel` below `dir` would meet a symlink or a non-directory on the way. */
function checkWritable(dir: string, rel: string): void {
  const parts = rel.split('/');
  let cur = dir;
  for (const [i, seg] of parts.entries()) {
    cur = path.join(cur, seg);
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (!st) return;
    const last = i === parts.length - 1;
    if (last ? !st.isFile() : !st.isDirectory()) throw new StackError(`${rel}: ${path.relative(dir, cur)} is ${st.isSymbolicLink() ? 'a symlink' : last ? 'not a regular file' : 'not a directory'} in the stack folder`);
  }
}

function safeWrite(dir: string, rel: string, data: Buffer | string): void {
  const parts = rel.split('/');
  let cur = dir;
  for (const seg of parts.slice(0, -1)) {
    cur = path.join(cur, seg);
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (!st) fs.mkdirSync(cur);
    else if (!st.isDirectory()) throw new StackError(`${rel}: ${path.relative(dir, cur)} is not a directory`);
  }
  const file = path.join(cur, parts.at(-1)!);
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw new StackError(`${rel} exists and is not a regular file`);
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    fs.closeSync(fd);
  }
}

function safeRead(dir: string, rel: string): Buffer | null {
  const file = path.join(dir, rel);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const DEFAULT_FILES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml'];

/**
 * The .env written into the folder: the stack's own, plus COMPOSE_FILE when the compose files are not
 * the one a CLI finds by itself, so `docker-compose ps` run there sees the same project.
 */
function folderEnv(c: StackContent): string {
  const names = c.files.map((f) => f.name);
  if ((names.length === 1 && DEFAULT_FILES.includes(names[0]!)) || /^\s*(export\s+)?COMPOSE_FILE=/m.test(c.env)) return c.env;
  const sep = c.env === '' || c.env.endsWith('\n') ? '' : '\n';
  return `${c.env}${sep}# Added by Berth for CLIs run in this folder: the stack's compose files, in order.\nCOMPOSE_FILE=${names.join(':')}\n`;
}

export class StackStore {
  constructor(readonly root: string) {}

  dir(name: string): string {
    return path.join(this.root, name);
  }

  private metaDir(name: string): string {
    return path.join(this.dir(name), META_DIR);
  }

  meta(name: string): StackMeta | null {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.metaDir(name), 'stack.json'), 'utf8')) as StackMeta;
    } catch {
      return null;
    }
  }

  /** Names of the stacks Berth has files for. */
  names(): string[] {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    return entries.filter((n) => fs.existsSync(path.join(this.root, n, META_DIR, 'stack.json'))).sort();
  }

  versions(name: string): VersionMeta[] {
    const vdir = path.join(this.metaDir(name), 'versions');
    let entries: string[];
    try {
      entries = fs.readdirSync(vdir);
    } catch {
      return [];
    }
    return entries
      .filter((e) => /^\d+$/.test(e))
      .map((e) => {
        try {
          return JSON.parse(fs.readFileSync(path.join(vdir, e, 'version.json'), 'utf8')) as VersionMeta;
        } catch {
          return null;
        }
      })
      .filter((v): v is VersionMeta => v !== null)
      .sort((a, b) => b.version - a.version);
  }

  /** The files of a version (or the current one). */
  content(name: string, version?: number): StackContent | null {
    const meta = this.meta(name);
    const v = version ?? meta?.current;
    if (!meta || !v) return null;
    const vdir = path.join(this.metaDir(name), 'versions', String(v));
    let vm: VersionMeta;
    try {
      vm = JSON.parse(fs.readFileSync(path.join(vdir, 'version.json'), 'utf8')) as VersionMeta;
    } catch {
      return null;
    }
    const read = (rel: string) => safeRead(path.join(vdir, 'files'), rel);
    return {
      files: vm.files.map((f) => ({ name: f, content: read(f)?.toString('utf8') ?? '' })),
      env: read('.env')?.toString('utf8') ?? '',
      assets: vm.assets.map((a) => ({ path: a, content: (read(a) ?? Buffer.alloc(0)).toString('base64') })),
    };
  }

  /**
   * Reads a file of the stack folder (env_file during load); assets of the coming deploy win. Files
   * outside the folder are host paths: read only with `hostPaths` (the admin's right), else refused.
   */
  reader(name: string, pending: StackAsset[] = [], hostPaths = false): (abs: string) => string | null {
    const dir = this.dir(name);
    return (abs) => {
      const rel = path.relative(dir, abs);
      const p = pending.find((a) => a.path === rel);
      if (p) return Buffer.from(p.content, 'base64').toString('utf8');
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        if (!hostPaths) throw new StackError(`${abs} is outside the stack folder: reading host paths needs the admin role`, 403);
        try {
          return fs.readFileSync(abs, 'utf8');
        } catch {
          return null;
        }
      }
      return safeRead(dir, rel)?.toString('utf8') ?? null;
    };
  }

  /**
   * Makes `content` the stack's current files and records it as a new version (result 'deploying').
   * Files of the previous version that the new one lacks are removed from the folder; anything else
   * there (data of bind mounts) stays.
   */
  commit(name: string, content: StackContent, opts: { user: string; note: string; profiles: string[] }): VersionMeta {
    const dir = this.dir(name);
    // Check every path first: a refused write must not leave half a version in the folder.
    for (const rel of [...content.files.map((f) => f.name), '.env', ...content.assets.map((a) => a.path)]) checkWritable(dir, rel);
    fs.mkdirSync(path.join(this.metaDir(name), 'versions'), { recursive: true, mode: 0o700 });
    const prev = this.meta(name);
    const prevVersion = prev?.current ? this.versions(name).find((v) => v.version === prev.current) : undefined;
    const version = (this.versions(name)[0]?.version ?? 0) + 1;
    const now = new Date().toISOString();
    const vdir = path.join(this.metaDir(name), 'versions', String(version));
    fs.mkdirSync(path.join(vdir, 'files'), { recursive: true });
    const all: [string, Buffer | string][] = [...content.files.map((f) => [f.name, f.content] as [string, string]), ['.env', content.env], ...content.assets.map((a) => [a.path, Buffer.from(a.content, 'base64')] as [string, Buffer])];
    for (const [rel, data] of all) safeWrite(path.join(vdir, 'files'), rel, data);
    const keep = new Set(all.map(([rel]) => rel));
    for (const old of [...(prevVersion?.files ?? []), ...(prevVersion?.assets ?? [])]) {
      if (keep.has(old)) continue;
      const st = fs.lstatSync(path.join(dir, old), { throwIfNoEntry: false });
      if (st?.isFile()) fs.rmSync(path.join(dir, old));
    }
    for (const [rel, data] of all) safeWrite(dir, rel, rel === '.env' ? folderEnv(content) : data);
    const meta: VersionMeta = { version, createdAt: now, user: opts.user, files: content.files.map((f) => f.name), assets: content.assets.map((a) => a.path), note: opts.note, result: 'deploying', error: null };
    writeJson(path.join(vdir, 'version.json'), meta);
    writeJson(path.join(this.metaDir(name), 'stack.json'), { name, createdAt: prev?.createdAt ?? now, updatedAt: now, current: version, profiles: opts.profiles } satisfies StackMeta);
    return meta;
  }

  finish(name: string, version: number, error: string | null): void {
    const file = path.join(this.metaDir(name), 'versions', String(version), 'version.json');
    try {
      const v = JSON.parse(fs.readFileSync(file, 'utf8')) as VersionMeta;
      writeJson(file, { ...v, result: error ? 'failed' : 'deployed', error } satisfies VersionMeta);
    } catch {
      // The version was removed meanwhile (stack deleted): nothing to record.
    }
  }

  /** Forgets the stack: its folder, files and history. */
  remove(name: string): void {
    fs.rmSync(this.dir(name), { recursive: true, force: true });
  }
}
