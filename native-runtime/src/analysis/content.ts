// Reading a file version out of its layer's snapshot: positional reads of the asked range only, so a
// large file is never held whole. The path comes from the layer's index, where every parent is a real
// directory of that snapshot; the file itself is opened O_NOFOLLOW.
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

const SNIFF_BYTES = 8192;

/** Reads [offset, offset+length) of the file; returns fewer bytes at the end of the file. */
export async function readRange(abs: string, offset: number, length: number): Promise<Buffer> {
  const fh = await fsp.open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** A stream of the whole file, for downloads. */
export async function streamFile(abs: string): Promise<Readable> {
  const fh = await fsp.open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  return fh.createReadStream();
}

export function snapshotPath(snapshotDir: string, imagePath: string): string {
  return path.join(snapshotDir, imagePath);
}

/**
 * Text when the head has no NUL, is not mostly control characters, and is valid UTF-8 (a multi-byte
 * sequence cut at the end of the sample is allowed).
 */
export function looksBinary(head: Buffer): boolean {
  const sample = head.subarray(0, SNIFF_BYTES);
  if (sample.includes(0)) return true;
  // Mostly control characters (other than tab, newlines, form feed, backspace, escape): not text.
  let control = 0;
  for (const b of sample) if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 8 && b !== 27) control++;
  if (control > sample.length * 0.3) return true;
  // Drop an incomplete trailing sequence (up to 3 bytes) before validating.
  let end = sample.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const b = sample[end - k]!;
    if ((b & 0xc0) === 0x80) continue;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (k < need) end -= k;
    }
    break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, end));
    return false;
  } catch {
    return true;
  }
}

/** `xxd`-style lines: offset, 16 bytes in hex pairs, and their printable ASCII. */
export function hexdump(buf: Buffer, startOffset = 0): string {
  const lines: string[] = [];
  for (let o = 0; o < buf.length; o += 16) {
    const row = buf.subarray(o, o + 16);
    let hex = '';
    for (let k = 0; k < 16; k++) {
      hex += k < row.length ? row[k]!.toString(16).padStart(2, '0') : '  ';
      if (k % 2 === 1) hex += ' ';
    }
    let ascii = '';
    for (const b of row) ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    lines.push(`${(startOffset + o).toString(16).padStart(8, '0')}: ${hex} ${ascii}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
