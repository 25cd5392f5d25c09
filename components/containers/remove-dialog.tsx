'use client';

import { useState } from 'react';
import { ConfirmDialog } from '../images/confirm-dialog';

/** Remove one or more containers in the app's own dialog, optionally with their anonymous volumes (docker rm -v). */
export function RemoveDialog({
  names,
  running,
  anonymous,
  busy,
  onCancel,
  onConfirm,
}: {
  names: string[];
  running: number;
  /** How many anonymous volumes the containers have, when known. */
  anonymous?: number;
  busy: boolean;
  onCancel: () => void;
  onConfirm: (volumes: boolean) => void;
}) {
  const [volumes, setVolumes] = useState(false);
  const title = names.length === 1 ? `Remove ${names[0]}?` : `Remove ${names.length} containers?`;
  return (
    <ConfirmDialog title={title} confirmLabel="Remove" busy={busy} onCancel={onCancel} onConfirm={() => onConfirm(volumes)}>
      {names.length > 1 ? <p className="break-words">{names.join(', ')}</p> : null}
      {running ? <p>{running === 1 && names.length === 1 ? 'It is running and will be killed.' : `${running} running will be killed.`}</p> : null}
      <label className="flex items-center gap-2">
        <input type="checkbox" checked={volumes} onChange={(e) => setVolumes(e.target.checked)} />
        Also remove anonymous volumes{anonymous !== undefined ? ` (${anonymous})` : ''}
      </label>
      <p className="text-xs text-slate-500">Named volumes and bind mounts are never removed, as with docker rm -v.</p>
    </ConfirmDialog>
  );
}
