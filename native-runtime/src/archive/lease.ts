// Leases: a pull, push, load or build holds one while it runs, naming the blobs, snapshots and images it
// is writing or reading, so a concurrent gc() never deletes them (containerd's leases, in-process).
import { randomHex } from '../util/ids.js';

export interface Lease {
  readonly id: string;
  readonly label: string;
  readonly blobs: ReadonlySet<string>;
  readonly snapshots: ReadonlySet<string>;
  readonly images: ReadonlySet<string>;
  addBlob(digest: string): void;
  addSnapshot(key: string): void;
  addImage(id: string): void;
  release(): void;
}

/** Anything with a content store root identifies the data root a lease belongs to. */
export interface LeaseScope {
  content: { root: string };
}

const leases = new Map<string, Set<Lease>>();

export function acquireLease(stores: LeaseScope, label = 'lease'): Lease {
  const key = stores.content.root;
  let set = leases.get(key);
  if (!set) leases.set(key, (set = new Set()));
  const blobs = new Set<string>();
  const snapshots = new Set<string>();
  const images = new Set<string>();
  const owner = set;
  const lease: Lease = {
    id: randomHex(8),
    label,
    blobs,
    snapshots,
    images,
    addBlob: (d) => void blobs.add(d),
    addSnapshot: (k) => void snapshots.add(k),
    addImage: (i) => void images.add(i),
    release: () => {
      owner.delete(lease);
      if (owner.size === 0 && leases.get(key) === owner) leases.delete(key);
    },
  };
  set.add(lease);
  return lease;
}

/** The leases currently held on this data root. */
export function activeLeases(stores: LeaseScope): Lease[] {
  return [...(leases.get(stores.content.root) ?? [])];
}

/** Runs `fn` under a lease that is released however it ends. */
export async function withLease<T>(stores: LeaseScope, label: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = acquireLease(stores, label);
  try {
    return await fn(lease);
  } finally {
    lease.release();
  }
}
