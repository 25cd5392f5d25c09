import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time token that guards first-run setup when the server listens off loopback, so a
 * stranger on the network cannot claim the admin account. It is printed to the console.
 */
export class SetupToken {
  readonly value: string | null;

  constructor(required: boolean) {
    this.value = required ? randomBytes(18).toString('base64url') : null;
  }

  get required(): boolean {
    return this.value !== null;
  }

  matches(candidate: string | undefined): boolean {
    if (this.value === null) return true;
    if (!candidate) return false;
    const a = Buffer.from(this.value);
    const b = Buffer.from(candidate.trim());
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
