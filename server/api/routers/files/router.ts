// The container file browser (Docker Desktop's Files tab) over the Engine's archive API: list, read,
// write, upload and download go through GET/PUT /containers/{id}/archive; delete runs `rm` inside the
// container (the Engine API has no delete), as Docker Desktop does. Reading is for every signed-in
// user; changing and downloading need the operator role, as log downloads do.
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Engine } from '@berth/runtime/engine';
import { MuxDecoder } from '../../../engine/streams.ts';
import { operatorProcedure, protectedProcedure, router } from '../../trpc.ts';
import { readContainerFile } from '../analysis/container-file.ts';
import { call, engineOf } from '../engine-context.ts';
import { archiveOf, listDirectory, putFiles } from './archive.ts';

/** An absolute path in the container, normalised; never empty, never with NUL. */
const containerPath = z
  .string()
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.includes('\0'), { message: 'An absolute path in the container, such as /etc.' })
  .transform((p) => path.posix.normalize(p).replace(/(.)\/+$/, '$1'));

/** A path below the upload folder: relative, no "..", no empty parts. */
const relativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith('/') && !p.includes('\0') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), {
    message: 'Uploaded names are relative paths without "..".',
  });

const MAX_EDIT = 1024 * 1024;
const MAX_UPLOAD = 16 * 1024 * 1024;
const MAX_DOWNLOAD = 32 * 1024 * 1024;

const id = z.string().trim().min(1).max(128);
export const listInput = z.object({ id, path: containerPath });
export const writeInput = z.object({ id, path: containerPath, content: z.string().max(MAX_EDIT, 'Files over 1 MiB are not edited here.') });
export const uploadInput = z.object({
  id,
  dir: containerPath,
  files: z
    .array(z.object({ path: relativePath, base64: z.string().max(Math.ceil((MAX_UPLOAD * 4) / 3) + 4) }))
    .min(1)
    .max(2000),
});

/** Runs a command in the container without a TTY and returns its exit code and output. */
async function execIn(engine: Engine, cid: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const exec = await engine.getContainer(cid).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const mux = new MuxDecoder();
  let output = '';
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => mux.push(chunk, (_s, payload) => (output += payload.toString('utf8'))));
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', reject);
  });
  // The stream can end a moment before the engine records the exit: ask until it has.
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return { code: info.ExitCode, output: output.slice(0, 2000) };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { code: -1, output: `${output.slice(0, 2000)} (no exit code after 5 s)` };
}

export const filesRouter = router({
  /** A folder's direct children. */
  list: protectedProcedure.input(listInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => listDirectory(engine, input.id, input.path));
  }),

  /** A file's head (1 MiB) for the viewer and editor; binary files come as a hexdump. */
  read: protectedProcedure.input(listInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => readContainerFile(engine, input.id, input.path, MAX_EDIT));
  }),

  /** Saves a text file (PUT archive into its folder); a file that exists keeps its mode. */
  write: operatorProcedure.input(writeInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = `${input.id.slice(0, 12)}:${input.path}`;
    const c = engine.getContainer(input.id);
    const stat = await c.infoArchive({ path: input.path }).catch(() => null);
    // PathStat mode is Go's FileMode: the permission bits are the low 9 (plus setuid/gid/sticky high bits).
    if (stat && (stat.mode & 0x80000000) !== 0) throw new TRPCError({ code: 'BAD_REQUEST', message: `${input.path} is a folder.` });
    const mode = stat ? stat.mode & 0o777 : 0o644;
    await call(() => putFiles(engine, input.id, path.posix.dirname(input.path), [{ path: path.posix.basename(input.path), data: Buffer.from(input.content, 'utf8'), mode }]));
    return { saved: true, bytes: Buffer.byteLength(input.content) };
  }),

  /** Files (and folders, by their relative paths) into a folder of the container. */
  upload: operatorProcedure.input(uploadInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = `${input.id.slice(0, 12)}:${input.dir}`;
    const files = input.files.map((f) => ({ path: f.path, data: Buffer.from(f.base64, 'base64') }));
    const total = files.reduce((n, f) => n + f.data.length, 0);
    if (total > MAX_UPLOAD) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Uploads are limited to 16 MiB at a time; use docker cp for more.' });
    await call(() => putFiles(engine, input.id, input.dir, files));
    return { uploaded: files.length, bytes: total };
  }),

  /** A file or folder as the Engine's tar (what `docker cp` reads), base64 for the browser to save. */
  download: operatorProcedure.input(listInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = `${input.id.slice(0, 12)}:${input.path}`;
    const tarball = await call(() => archiveOf(engine, input.id, input.path, MAX_DOWNLOAD));
    return { name: `${path.posix.basename(input.path) || 'root'}.tar`, base64: tarball.toString('base64') };
  }),

  /** Deletes a file or folder with the container's own `rm` (it must be running). */
  remove: operatorProcedure.input(listInput).mutation(async ({ ctx, input }) => {
    if (input.path === '/') throw new TRPCError({ code: 'BAD_REQUEST', message: 'The root folder cannot be deleted.' });
    const engine = await engineOf(ctx);
    ctx.audit.target = `${input.id.slice(0, 12)}:${input.path}`;
    const info = await call(() => engine.getContainer(input.id).inspect());
    if (!info.State.Running || info.State.Paused) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'Deleting runs rm inside the container, so it must be running (and not paused).' });
    }
    const r = await call(() => execIn(engine, input.id, ['rm', '-rf', '--', input.path]));
    if (r.code !== 0) throw new TRPCError({ code: 'BAD_REQUEST', message: `rm failed (exit ${r.code}): ${r.output.trim() || 'no message'}` });
    return { removed: true };
  }),
});
