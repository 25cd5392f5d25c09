// At create, for a container in a user namespace whose storage refuses idmapped mounts (issue #19):
// its overlay will stack chowned copies of the image layers (layer-copies.ts) and be mounted without
// idmapping, so its own layers must hold host ids too: the init layer is shifted into the range and
// the upper's root gets the owner that the image's root has in the namespace.
import { promises as fsp } from 'node:fs';
import { badParameter } from '../errors.js';
import type { ContainerIdRange } from './allocator.js';
import type { UsernsService } from './index.js';
import type { LayerSource } from './layer-copies.js';
import { shiftOwners } from './shift.js';

export interface FallbackInputs {
  /** The snapshot driver in use: only overlay can stack the copies. */
  driver: string;
  /** Where the layers live (probed once per engine). */
  storageRoot: string;
  /** The image's layers, top-most first. */
  layers: LayerSource[];
  /** The container's init layer and upper dir. */
  init: string;
  upper: string;
}

/** The copies' directories (pinned: unpin once the record is stored), or undefined when idmap works. */
export async function prepareFallback(svc: UsernsService, r: ContainerIdRange, inp: FallbackInputs): Promise<string[] | undefined> {
  const probe = await svc.idmap(inp.storageRoot);
  if (probe.idmap) return undefined;
  if (inp.driver !== 'overlay') {
    throw badParameter(
      `${inp.storageRoot} cannot be idmapped (${probe.reason}) and the chowned-copy fallback needs the overlay storage driver (this engine uses ${inp.driver}); run the container with --userns=host`,
    );
  }
  const copies = await svc.copiesFor(r, inp.layers);
  try {
    await shiftOwners(inp.init, r);
    const top = await fsp.lstat(copies[0]!);
    await fsp.chown(inp.upper, top.uid, top.gid);
  } catch (e) {
    svc.unpinCopies(copies);
    throw e;
  }
  return copies;
}
