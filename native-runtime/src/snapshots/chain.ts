// Chain IDs (OCI image spec): identify a layer *together with everything under it*,
// so two images that share a base share its committed snapshot.
import { sha256Digest } from '../util/ids.js';

export function chainId(parentChainId: string | undefined, diffId: string): string {
  return parentChainId === undefined ? diffId : sha256Digest(`${parentChainId} ${diffId}`);
}

/** chainIDs[i] identifies the stack diffIds[0..i]. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let parent: string | undefined;
  for (const d of diffIds) {
    parent = chainId(parent, d);
    out.push(parent);
  }
  return out;
}
