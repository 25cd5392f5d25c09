import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLocalBrowserRequest } from './request-origin.ts';

/**
 * One-time token that guards first-run setup, so that nobody but the person at the server's console
 * can claim the admin account. It is printed to the console at start while no user exists. A browser
 * on this very machine (loopback peer, loopback Host, no proxy) needs none, unless `alwaysRequired`
 * (the server listens beyond loopback).
 */
export class SetupToken {
  readonly value: string = randomBytes(18).toString('base64url');

  constructor(readonly alwaysRequired: boolean) {}

  /** Whether setup over `req` must present the token (null: an in-process call). */
  requiredFor(req: IncomingMessage | null): boolean {
    if (this.alwaysRequired) return true;
    return req !== null && !isLocalBrowserRequest(req);
  }

  matches(candidate: string | undefined): boolean {
    if (!candidate) return false;
    const a = Buffer.from(this.value);
    const b = Buffer.from(candidate.trim());
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
