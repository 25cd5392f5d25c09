'use client';

import { useHasRole } from '../auth/use-role';
import { UpdateBadge } from './update-badge';
import { UpdateButton } from './update-button';
import { useUpdateChecks, useUpdateProgress } from './use-updates';

/** A stack's "update available" badge and its one-click update (service by service, one replica at a time). */
export function StackUpdates({ name, images }: { name: string; images: string[] }) {
  const canOperate = useHasRole('operator');
  const checks = useUpdateChecks();
  const steps = useUpdateProgress();
  const results = images.map((i) => checks.byRef.get(i)).filter((r) => r !== undefined);
  const available = results.find((r) => r.status === 'update-available');
  if (!available) return null;
  return (
    <span className="inline-flex flex-wrap items-center gap-2" data-testid="stack-updates">
      <UpdateBadge result={available} />
      {canOperate ? <UpdateButton stack={name} step={steps[`stack:${name}`]} /> : null}
    </span>
  );
}
