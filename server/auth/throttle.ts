/**
 * Login throttle, kept per account and per client IP. The first FREE_ATTEMPTS failures cost
 * nothing; each later failure doubles the wait before the next attempt is even checked
 * (1 s, 2 s, 4 s … up to MAX_DELAY_MS). A success clears the account's and the IP's record.
 */
export const FREE_ATTEMPTS = 5;
export const BASE_DELAY_MS = 1000;
export const MAX_DELAY_MS = 15 * 60 * 1000;
/** Records idle this long are forgotten. */
const FORGET_AFTER_MS = 60 * 60 * 1000;

interface Record {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class LoginThrottle {
  private readonly records = new Map<string, Record>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Milliseconds the caller must still wait before trying again, for either key. 0 means go ahead. */
  retryAfterMs(keys: { account: string; ip: string }): number {
    const now = this.clock();
    return Math.max(this.wait(`a:${keys.account.toLowerCase()}`, now), this.wait(`i:${keys.ip}`, now));
  }

  recordFailure(keys: { account: string; ip: string }): void {
    const now = this.clock();
    for (const key of [`a:${keys.account.toLowerCase()}`, `i:${keys.ip}`]) {
      const rec = this.fresh(key, now) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
      rec.failures += 1;
      rec.lastFailure = now;
      if (rec.failures >= FREE_ATTEMPTS) {
        const delay = Math.min(BASE_DELAY_MS * 2 ** (rec.failures - FREE_ATTEMPTS), MAX_DELAY_MS);
        rec.blockedUntil = now + delay;
      }
      this.records.set(key, rec);
    }
  }

  recordSuccess(keys: { account: string; ip: string }): void {
    this.records.delete(`a:${keys.account.toLowerCase()}`);
    this.records.delete(`i:${keys.ip}`);
  }

  private wait(key: string, now: number): number {
    const rec = this.fresh(key, now);
    return rec ? Math.max(0, rec.blockedUntil - now) : 0;
  }

  private fresh(key: string, now: number): Record | undefined {
    const rec = this.records.get(key);
    if (rec && now - rec.lastFailure > FORGET_AFTER_MS && rec.blockedUntil <= now) {
      this.records.delete(key);
      return undefined;
    }
    return rec;
  }
}
