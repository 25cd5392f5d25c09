// Identifiers and digests used across the store.
import { createHash, randomBytes } from 'node:crypto';

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A 64-hex random id, like Docker's container and snapshot ids. */
export function randomId(): string {
  return randomHex(32);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256Digest(data: string | Uint8Array): string {
  return 'sha256:' + sha256Hex(data);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 26 upper-case base32 chars, as Docker's overlay2 `l/` link names (keeps lowerdir options short). */
export function shortLinkId(): string {
  const bytes = randomBytes(17); // 136 bits >= 26 * 5
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function hexOf(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new Error(`invalid digest ${JSON.stringify(digest)}`);
  return digest.slice(7);
}
