// A small tar (ustar + PAX for long names) writer on Uint8Array, shared by the browser (folder upload →
// build context) and the server (the editor's Dockerfile added to a context). Regular files only, plus
// the directories implied by their paths.
const BLOCK = 512;
const enc = new TextEncoder();

export interface TarFile {
  /** Relative path with "/" separators; no leading "/" or "..". */
  path: string;
  data: Uint8Array;
  mode?: number;
  mtime?: number;
}

function writeString(h: Uint8Array, off: number, len: number, s: string): void {
  h.set(enc.encode(s).subarray(0, len), off);
}

function writeOctal(h: Uint8Array, off: number, len: number, n: number): void {
  writeString(h, off, len, n.toString(8).padStart(len - 1, '0') + '\0');
}

function header(name: string, size: number, type: '0' | '5' | 'x', mode: number, mtime: number, prefix = ''): Uint8Array {
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, Math.floor(mtime));
  h.fill(0x20, 148, 156);
  writeString(h, 156, 1, type);
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/** ustar name/prefix split, or null when the path needs a PAX record. */
function splitName(p: string): { name: string; prefix: string } | null {
  if (enc.encode(p).length <= 100) return { name: p, prefix: '' };
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (enc.encode(prefix).length <= 155 && enc.encode(name).length <= 100) return { name, prefix };
  }
  return null;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + enc.encode(body).length !== len) len = String(len).length + enc.encode(body).length;
  return `${len}${body}`;
}

function entry(path: string, type: '0' | '5', size: number, mode: number, mtime: number): Uint8Array[] {
  const split = splitName(path);
  if (split) return [header(split.name, size, type, mode, mtime, split.prefix)];
  const pax = enc.encode(paxRecord('path', path));
  return [header('PaxHeader', pax.length, 'x', 0o644, mtime), pax, new Uint8Array(pad(pax.length)), header(path.slice(-99), size, type, mode, mtime)];
}

export function safeTarPath(p: string): string | null {
  const parts = p.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..')) return null;
  return parts.join('/');
}

/** Tar entries (headers, data, padding) for these files, with parent directories first; no end blocks. */
export function tarEntries(files: TarFile[], now = Date.now() / 1000): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dirs = new Set<string>();
  for (const f of files) {
    const p = safeTarPath(f.path);
    if (!p) throw new Error(`Unsafe path in the build context: ${f.path}`);
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      out.push(...entry(`${d}/`, '5', 0, 0o755, now));
    }
    out.push(...entry(p, '0', f.data.length, f.mode ?? 0o644, f.mtime ?? now), f.data, new Uint8Array(pad(f.data.length)));
  }
  return out;
}

/** The two zero blocks that end an archive. */
export const tarEnd = () => new Uint8Array(BLOCK * 2);

export function tarArchive(files: TarFile[]): Uint8Array[] {
  return [...tarEntries(files), tarEnd()];
}
