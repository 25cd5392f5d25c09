'use client';

import { useEffect, useRef, type ReactNode } from 'react';
import { Button } from '../ui/controls';

/** An in-page confirmation (testable, and it can list what blocks the action). Escape cancels. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, busy }: { title: string; children?: ReactNode; confirmLabel: string; onConfirm: () => void; onCancel: () => void; busy?: boolean }) {
  const cancelRef = useRef(onCancel);
  cancelRef.current = onCancel;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && cancelRef.current();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div role="dialog" aria-modal="true" aria-label={title} className="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/40 p-3">
      <div className="w-[28rem] max-w-full space-y-3 rounded-lg border border-slate-200 bg-white p-5 shadow-xl dark:border-slate-700 dark:bg-slate-900">
        <h2 className="text-base font-semibold break-words">{title}</h2>
        <div className="space-y-2 text-sm text-slate-600 dark:text-slate-300">{children}</div>
        <div className="flex justify-end gap-2">
          {/* Focus starts on Cancel, so a stray Enter does not confirm a removal. */}
          <Button autoFocus variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
          <Button variant="danger" disabled={busy} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </div>
      </div>
    </div>
  );
}
