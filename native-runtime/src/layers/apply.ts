// applyLayer: extract an OCI/Docker layer tar into a snapshot's directory, safely.
//
// The per-file work is C++ (native/addon/layer_apply.cc), on the libuv pool; this side inflates (Node's
// zlib, also on the pool) and hashes the plain tar for the diffID, one batch ahead of the extraction.
//
// Safety model (enforced in C++): nothing is ever written outside destDir.
//  - entry and hardlink names with a ".." component are refused; leading "/" is dropped;
//  - symlinks are created verbatim (absolute targets are container-absolute) but never followed:
//    every parent is opened with O_NOFOLLOW|O_DIRECTORY, component by component, and an entry below a
//    symlink is refused (tar tools never produce one; a hostile tar uses it to escape);
//  - files are opened O_NOFOLLOW|O_EXCL after removing whatever was there;
//  - hardlinks must name a non-directory already extracted from this same tar;
//  - device nodes and fifos are kept, as dockerd keeps them (the devices cgroup decides what a container
//    may open); whiteouts become overlay whiteouts (0:0 char devices).
//
// On error, destDir is left half-written: the CALLER must discard it (unpackImage removes the
// active snapshot). That keeps this function free of rollback logic.
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { decompressed, type ByteStream } from './compression.js';
import { LayerError } from './errors.js';

export interface ApplyOptions {
  /** lchown entries to their tar uid/gid. Default: when running as root. */
  sameOwner?: boolean;
  onEntry?: (name: string) => void;
  /** destDir is a complete tree (btrfs/vfs snapshot): whiteouts delete, opaque dirs are emptied first. */
  plain?: boolean;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar: the layer's diffID. */
  diffId: string;
  /** Bytes of file content extracted, as Docker's DiffSize. */
  size: number;
  /** Bytes of uncompressed tar read. */
  tarSize: number;
}

/** Bytes handed to C++ per call: large enough that the per-call cost vanishes, small enough to overlap. */
const BATCH_BYTES = 1 << 20;

export async function applyLayer(source: ByteStream, destDir: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const root = path.resolve(destDir);
  const rst = await fsp.lstat(root);
  if (!rst.isDirectory()) throw new Error(`applyLayer: ${root} is not a directory`);
  const sameOwner = opts.sameOwner ?? process.getuid?.() === 0;

  const native = await import('../native/index.js');
  // Nothing awaits between here and the loop below: a stream error (bytes of a download that turn out
  // corrupt) must find the loop listening.
  const raw = await decompressed(source);
  let applier: InstanceType<typeof native.NativeLayerApplier>;
  try {
    applier = new native.NativeLayerApplier(root, { sameOwner, entryNames: opts.onEntry !== undefined, plain: opts.plain ?? false });
  } catch (err) {
    raw.destroy();
    throw err;
  }
  const hash = createHash('sha256');
  let tarSize = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let inflight: Promise<void> | undefined;
  const send = (chunks: Buffer[]): Promise<void> => {
    const p = applier.write(chunks).then((names) => names.forEach((n) => opts.onEntry?.(n)));
    p.catch(() => {}); // awaited before the next send; this only keeps a rejection from counting as unhandled meanwhile
    return p;
  };
  try {
    for await (const chunk of raw as AsyncIterable<Buffer>) {
      hash.update(chunk);
      tarSize += chunk.length;
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH_BYTES) {
        await inflight;
        inflight = send(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    await inflight;
    inflight = undefined;
    if (batch.length) await send(batch);
    const usage = await applier.finish();
    return { diffId: 'sha256:' + hash.digest('hex'), size: usage.size, tarSize };
  } catch (err) {
    raw.destroy();
    await inflight?.catch(() => {}); // the pool thread must be done with the handle before it is closed
    throw toLayerError(err, native.LayerTarError);
  } finally {
    applier.close();
  }
}

/** Refused entries become LayerError, as before the extraction moved to C++; syscall errors name the entry. */
function toLayerError(err: unknown, LayerTarError: typeof import('../native/index.js').LayerTarError): unknown {
  if (!(err instanceof LayerTarError)) return err;
  if (err.layerCode) return new LayerError(err.layerCode, err.detail, err.entry);
  if (err.entry !== undefined) err.message += ` (tar entry ${JSON.stringify(err.entry)})`;
  return err;
}
