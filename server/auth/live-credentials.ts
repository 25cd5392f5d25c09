// Long-lived connections (websockets, SSE subscriptions) by the credential that opened them, so that
// revoking a session or an API token, or changing a user's role, ends them at once instead of at their
// next request. One registry per process: revocations in another server process reach these connections
// only through their next request (see docs/security.md).

export type CutReason = 'session revoked' | 'token revoked' | 'account changed';

interface Live {
  credential: string;
  userId: string;
  cut(reason: CutReason): void;
}

class LiveCredentials {
  private readonly all = new Set<Live>();

  /** Registers a connection; call the returned function when it closes on its own. */
  // The parts of a RequestSession (tokens.ts) it needs, by shape: tokens.ts imports this module.
  track(session: { id: string; user: { id: string } }, cut: (reason: CutReason) => void): () => void {
    const live: Live = { credential: session.id, userId: session.user.id, cut };
    this.all.add(live);
    return () => void this.all.delete(live);
  }

  /** A session id, or `token:<id>` for an API token (the id a RequestSession carries). */
  cutCredential(credential: string, reason: CutReason): number {
    return this.cutWhere((l) => l.credential === credential, reason);
  }

  /** Every browser session of a user (`tokensToo`: their API tokens' connections as well). */
  cutUser(userId: string, reason: CutReason, tokensToo: boolean): number {
    return this.cutWhere((l) => l.userId === userId && (tokensToo || !l.credential.startsWith('token:')), reason);
  }

  private cutWhere(match: (l: Live) => boolean, reason: CutReason): number {
    let n = 0;
    for (const l of [...this.all]) {
      if (!match(l)) continue;
      this.all.delete(l);
      n++;
      try {
        l.cut(reason);
      } catch (err) {
        console.error('closing a revoked connection failed:', err);
      }
    }
    return n;
  }

  get size(): number {
    return this.all.size;
  }
}

export const liveCredentials = new LiveCredentials();

export function cutMessage(reason: CutReason): string {
  return reason === 'account changed' ? 'Your account was changed by an admin; sign in again.' : `Your ${reason === 'token revoked' ? 'API token' : 'session'} was revoked; sign in again.`;
}
