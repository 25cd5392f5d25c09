// A file of a running (or stopped) container as it is now, read through the Engine's archive API:
// only the head is kept, so a huge file never lands in memory whole.
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { Engine } from '@berth/runtime/engine';

export const CONTAINER_FILE_HEAD = 256 * 1024;

export interface ContainerFileHead {
  path: string;
  size: number;
  type: string;
  binary: boolean;
  /** Text: UTF-8; binary: a hexdump of the head. */
  content: string;
  truncated: boolean;
  linkTarget?: string;
}

/** The first `limit` bytes of the archive's first entry, and its header. */
async function firstEntryHead(stream: Readable, limit: number): Promise<{ header: tar.Header; head: Buffer }> {
  const extract = tar.extract();
  return new Promise((resolve, reject) => {
    let done = false;
    extract.on('entry', (header, body, next) => {
      if (done) {
        body.resume();
        return next();
      }
      const parts: Buffer[] = [];
      let got = 0;
      body.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        if (got < limit) parts.push(chunk.subarray(0, limit - got));
        got += chunk.length;
        if (got >= limit && !done) {
          done = true;
          resolve({ header, head: Buffer.concat(parts) });
          stream.destroy();
          extract.destroy();
        }
      });
      body.on('end', () => {
        if (!done) {
          done = true;
          resolve({ header, head: Buffer.concat(parts) });
        }
        next();
      });
    });
    extract.on('finish', () => done || reject(new Error('empty archive')));
    extract.on('error', (err) => done || reject(err));
    stream.on('error', (err) => done || reject(err));
    stream.pipe(extract);
  });
}

/** Binary when the first 8 KiB hold a NUL byte or are not valid UTF-8 (the analyzer's rule, minus the control-character ratio). */
export function looksBinary(head: Buffer): boolean {
  const probe = head.subarray(0, 8192);
  if (probe.includes(0)) return true;
  try {
    // A multi-byte character cut at the probe's end is not a reason to call it binary.
    new TextDecoder('utf-8', { fatal: true }).decode(probe.length === 8192 ? probe.subarray(0, 8188) : probe);
    return false;
  } catch {
    return true;
  }
}

export function hexdump(buf: Buffer): string {
  const lines: string[] = [];
  for (let off = 0; off < buf.length; off += 16) {
    const row = buf.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((hex[i] ?? '  ') + (hex[i + 1] ?? '  '));
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}: ${groups.join(' ')}  ${ascii}`);
  }
  return lines.join('\n');
}

const TYPES: Record<string, string> = { file: 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink' };

export async function readContainerFile(engine: Engine, id: string, path: string, limit = CONTAINER_FILE_HEAD): Promise<ContainerFileHead> {
  const stream = await engine.getContainer(id).getArchive({ path });
  const { header, head } = await firstEntryHead(stream, limit);
  const size = header.size ?? 0;
  const type = TYPES[header.type ?? 'file'] ?? String(header.type);
  const binary = type === 'file' && looksBinary(head);
  return {
    path,
    size,
    type,
    binary,
    content: type !== 'file' ? '' : binary ? hexdump(head.subarray(0, 4096)) : head.toString('utf8'),
    truncated: size > head.length,
    linkTarget: header.linkname ?? undefined,
  };
}
