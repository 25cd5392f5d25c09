// Staged deploy input. A deploy is a subscription (SSE, a GET), whose input travels in the URL; files
// larger than a URL can carry are posted first with `stacks.stage` and the deploy names the draft.
// Drafts live in this process for 15 minutes and belong to the user who posted them.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { planInput } from './schemas.ts';

type Draft = z.infer<typeof planInput>;
const TTL_MS = 15 * 60 * 1000;
const drafts = new Map<string, { userId: string; input: Draft; expires: number }>();

export function stageDraft(userId: string, input: Draft): string {
  const now = Date.now();
  for (const [k, d] of drafts) if (d.expires < now) drafts.delete(k);
  const id = randomUUID();
  drafts.set(id, { userId, input, expires: now + TTL_MS });
  return id;
}

export function takeDraft(userId: string, id: string, name: string): Draft | null {
  const d = drafts.get(id);
  if (!d || d.userId !== userId || d.expires < Date.now() || d.input.name !== name) return null;
  drafts.delete(id);
  return d.input;
}
