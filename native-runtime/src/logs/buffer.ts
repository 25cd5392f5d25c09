// The one-call path for `logs` without follow: files straight into the response bytes. Records are
// rewritten in place in the buffer they were read into (a mux frame header is 8 bytes shorter than a
// record header, so the write position never passes the read position): one allocation, one memmove
// per record, no per-line work. Timestamps and tail go through readLogs + formatLogs instead.
import * as fsp from 'node:fs/promises';
import { formatLogs, type FormatOptions } from './format.js';
import { logFiles, makeFilter, parseTail, readLogs, type ReadOptions } from './reader.js';
import { HEADER_SIZE } from './record.js';

export async function logsBuffer(dir: string, opts: ReadOptions & FormatOptions = {}): Promise<Buffer> {
  if (opts.timestamps || parseTail(opts.tail) >= 0) return formatLogs(await readLogs(dir, opts), opts);
  const filter = makeFilter(opts);
  const files = await logFiles(dir);
  const handles: { fh: fsp.FileHandle; size: number }[] = [];
  try {
    for (const f of files) {
      try {
        const fh = await fsp.open(f, 'r');
        handles.push({ fh, size: (await fh.stat()).size });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    const buf = Buffer.allocUnsafe(handles.reduce((n, h) => n + h.size, 0));
    let w = 0;
    let base = 0;
    for (const { fh, size } of handles) {
      let got = 0;
      while (got < size) {
        const { bytesRead } = await fh.read(buf, base + got, size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      // Compact this file's records; a torn record at its end is dropped.
      const end = base + got;
      let r = base;
      while (r + HEADER_SIZE <= end) {
        const len = buf.readUInt32LE(r + 12);
        const next = r + HEADER_SIZE + len;
        if (next > end) break;
        const stream = buf[r + 8]!;
        let take = stream === 1 ? filter.out : filter.err;
        if (take && (filter.since !== undefined || filter.until !== undefined)) {
          const t = buf.readBigUInt64LE(r);
          take = !(filter.since !== undefined && t < filter.since) && !(filter.until !== undefined && t > filter.until);
        }
        if (take && len > 0) {
          if (!opts.tty) {
            buf[w] = stream;
            buf[w + 1] = 0;
            buf[w + 2] = 0;
            buf[w + 3] = 0;
            buf.writeUInt32BE(len, w + 4);
            w += 8;
          }
          if (w !== r + HEADER_SIZE) buf.copyWithin(w, r + HEADER_SIZE, next);
          w += len;
        }
        r = next;
      }
      base += size;
    }
    return buf.subarray(0, w);
  } finally {
    for (const h of handles) await h.fh.close();
  }
}
