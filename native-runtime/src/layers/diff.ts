// diffDirectory: turn an overlay upper dir into an OCI layer tar.
// Overlay records deletions as 0:0 char devices and opaque dirs as an xattr; OCI layers record them as
// `.wh.<name>` and `.wh..wh..opq` files. Entries are emitted in byte order of their names so the same
// directory always yields the same tar (and the same diffID). xattrs travel as PAX SCHILY.xattr.*
// records (overlay's own trusted.overlay.* stay behind); files with several links become hardlinks;
// fifos and device nodes are entries of their own (type 6, 3, 4), as in Docker's layers.
// The walk and the tar encoding are C++ (native/addon/layer_diff.cc), one chunk per pool job; the
// stream asks for the next chunk while its reader compresses and hashes this one.
import { Readable } from 'node:stream';

export interface DiffOptions {
  /** Called for entries that have no place in a layer (sockets) and are skipped. */
  onSkip?: (rel: string, reason: string) => void;
}

const CHUNK_BYTES = 1 << 20;

type Differ = InstanceType<typeof import('../native/index.js').NativeLayerDiffer>;

export function diffDirectory(upperDir: string, opts: DiffOptions = {}): Readable {
  let differ: Differ | undefined;
  let reading: Promise<unknown> | undefined;
  return new Readable({
    highWaterMark: 2 * CHUNK_BYTES,
    read() {
      const step = async (): Promise<void> => {
        if (!differ) {
          const { NativeLayerDiffer } = await import('../native/index.js');
          differ = new NativeLayerDiffer(upperDir);
        }
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        const { bytes, skipped } = await differ.read(buf);
        for (const [rel, reason] of skipped) opts.onSkip?.(rel, reason);
        if (bytes === 0) {
          differ.close();
          this.push(null);
        } else {
          this.push(bytes === buf.length ? buf : buf.subarray(0, bytes));
        }
      };
      reading = step().catch((err: Error) => this.destroy(err));
    },
    destroy(err, cb) {
      // A read still on the pool holds the handle; close once it is back.
      void Promise.resolve(reading).then(() => {
        differ?.close();
        cb(err);
      });
    },
  });
}
