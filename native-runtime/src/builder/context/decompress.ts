// Build contexts arrive as a tar that may be plain, gzip, bzip2 or xz compressed (Docker's
// compression.DecompressStream detects by magic bytes). gzip uses zlib; bzip2 and xz stream through the
// system's `bzip2 -dc` / `xz -dc`.
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { detectCompression, gunzip, peekMagic, type Compression } from '../../layers/compression.js';

export type ContextCompression = Compression;
export { detectCompression };

export class ContextError extends Error {
  readonly code: string;
  constructor(code: string, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'ContextError';
    this.code = code;
  }
}

const PROGRAMS: Record<'bzip2' | 'xz', { cmd: string; pkg: string }> = {
  bzip2: { cmd: 'bzip2', pkg: 'bzip2' },
  xz: { cmd: 'xz', pkg: 'xz-utils' },
};

function viaProgram(kind: 'bzip2' | 'xz', input: Readable): Readable {
  const { cmd, pkg } = PROGRAMS[kind];
  const out = new PassThrough();
  const child = spawn(cmd, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    input.destroy();
    out.destroy(
      err.code === 'ENOENT'
        ? new ContextError('MISSING_DECOMPRESSOR', `the build context is ${kind}-compressed but the ${cmd} program is not installed (Debian package: ${pkg})`, { cause: err })
        : new ContextError('DECOMPRESS_FAILED', `${cmd} -dc failed: ${err.message}`, { cause: err }),
    );
  });
  child.stdin.on('error', () => {}); // EPIPE when the decompressor exits early; reported via the exit code
  input.on('error', (e) => {
    child.kill('SIGKILL');
    out.destroy(e);
  });
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  let stdoutEnded = false;
  let exit: number | null | undefined;
  const finish = (): void => {
    if (!stdoutEnded || exit === undefined) return;
    if (exit === 0) out.end();
    else out.destroy(new ContextError('DECOMPRESS_FAILED', `${cmd} -dc failed (exit ${exit}): ${stderr.trim() || 'corrupt input'}`));
  };
  child.stdout.on('end', () => {
    stdoutEnded = true;
    finish();
  });
  child.on('close', (code) => {
    exit = code;
    finish();
  });
  out.on('close', () => {
    if (exit === undefined) child.kill('SIGKILL');
  });
  return out;
}

/** The uncompressed tar stream of a build context, and what compression was detected. */
export async function decompressContext(src: AsyncIterable<Uint8Array | string> | Readable): Promise<{ stream: Readable; compression: ContextCompression }> {
  const { head, stream: raw } = await peekMagic(src as AsyncIterable<Uint8Array | string>);
  const compression = detectCompression(head);
  switch (compression) {
    case 'gzip':
      return { stream: gunzip(raw), compression };
    case 'bzip2':
    case 'xz':
      return { stream: viaProgram(compression, raw), compression };
    case 'zstd':
      raw.destroy();
      throw new ContextError('UNSUPPORTED_COMPRESSION', 'zstd-compressed build contexts are not supported');
    default:
      return { stream: raw, compression };
  }
}
