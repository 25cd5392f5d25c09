'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Button } from '../ui/controls';

const SAID = { updated: 'Updated', 'up-to-date': 'Already up to date', 'rolled-back': 'Rolled back', failed: 'Update failed' } as const;

export type UpdateOutcome = { ok: boolean; text: string };

/** What an update said, shown beside the button or, by a list, where the recreated container's row is. */
export function UpdateOutcomeText({ said }: { said: UpdateOutcome }) {
  return (
    <span className={said.ok ? 'text-xs text-emerald-700 dark:text-emerald-400' : 'text-xs text-rose-700 dark:text-rose-400'} role="status" data-testid="update-outcome">
      {said.text}
    </span>
  );
}

/**
 * One-click update of a container (or a whole stack), with the live step and the outcome. An update
 * replaces the container (new id), so a list whose row goes away with it passes `onOutcome` and shows the
 * outcome itself; the mutation's callbacks still run after this button is gone.
 */
export function UpdateButton({
  containerId,
  containerName,
  stack,
  step,
  onOutcome,
}: {
  containerId?: string;
  /** The name when clicked: the list keys the outcome by it, since the row is renamed aside mid-update. */
  containerName?: string;
  stack?: string;
  step?: string;
  onOutcome?: (said: UpdateOutcome | null, name: string) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [own, setOwn] = useState<UpdateOutcome | null>(null);
  const clickedName = useRef(containerName ?? '');
  const said = onOutcome ? null : own;
  const setSaid = (v: UpdateOutcome | null) => (onOutcome ? onOutcome(v, clickedName.current) : setOwn(v));
  const done = (ok: boolean, text: string) => {
    setSaid({ ok, text });
    void qc.invalidateQueries({ queryKey: trpc.updates.history.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.images.checkUpdates.queryKey() });
  };
  const one = useMutation(
    trpc.containers.updateImage.mutationOptions({
      onSuccess: (o) => done(o.status === 'updated' || o.status === 'up-to-date', `${SAID[o.status]}${o.reason ? `: ${o.reason}` : ''}`),
      onError: (e) => done(false, errorMessage(e)),
    }),
  );
  const all = useMutation(
    trpc.stacks.updateImages.mutationOptions({
      onSuccess: (r) => done(r.stopped === null && !r.pullErrors.length, r.stopped ? `Stopped at ${r.stopped}` : r.pullErrors.length ? `Pull failed: ${r.pullErrors[0]!.reason}` : `${r.outcomes.filter((o) => o.status === 'updated').length} container(s) updated`),
      onError: (e) => done(false, errorMessage(e)),
    }),
  );
  const pending = one.isPending || all.isPending;
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Button
        variant="secondary"
        disabled={pending}
        data-testid="update-button"
        onClick={() => {
          clickedName.current = containerName ?? '';
          setSaid(null);
          if (stack) all.mutate({ name: stack });
          else if (containerId) one.mutate({ id: containerId });
        }}
      >
        {pending ? 'Updating…' : stack ? 'Update images' : 'Update'}
      </Button>
      {pending && step ? <span className="text-xs text-slate-500" role="status">{step}</span> : null}
      {said ? <UpdateOutcomeText said={said} /> : null}
    </span>
  );
}
