'use client';

import type { CheckResult } from './use-updates';

/** "update available" (or why Berth cannot tell) next to an image reference. */
export function UpdateBadge({ result }: { result: CheckResult | undefined }) {
  if (!result || result.status === 'up-to-date') return null;
  if (result.status === 'update-available') {
    return (
      <span className="ml-2 inline-block rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-900 dark:text-amber-200" title={`The registry now serves ${result.digest}`} data-testid="update-badge">
        update available
        {result.created ? (
          <span className="font-normal" data-testid="update-created" title={result.created}>
            {' '}
            · built {new Date(result.created).toLocaleString()}
          </span>
        ) : null}
      </span>
    );
  }
  return (
    <span className="ml-2 inline-block rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-500 dark:bg-slate-800 dark:text-slate-400" title={result.reason} data-testid="update-unknown">
      update unknown
    </span>
  );
}
