// Disk usage the way Docker reports DiffSize: file sizes, each inode once, directories not counted.
// The walk runs in the native addon: a JS walk of a 190 MB tree took ~0.4 s, the native one ~20 ms.
export interface Usage {
  /** Bytes of file content, counted once per inode (as Docker's DiffSize). */
  size: number;
  inodes: number;
}

export async function diskUsage(dir: string): Promise<Usage> {
  // Loaded lazily so modules that never measure do not need the addon.
  const native = await import('../native/index.js');
  try {
    return await native.diskUsage(dir);
  } catch (e) {
    if ((e as { errno?: number }).errno === 2) return { size: 0, inodes: 0 };
    throw e;
  }
}
