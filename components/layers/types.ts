import type { RouterInputs, RouterOutputs, Yield } from '../trpc/types';

export type ImageAnalysis = RouterOutputs['analysis']['analyze'];
export type TreeNode = RouterOutputs['analysis']['tree']['node'];
export type TreeMode = 'layer' | 'aggregated';
export type TreeSort = 'name' | 'size';
export type Comparison = RouterOutputs['analysis']['compare'];
export type LiveDiffEvent = Yield<RouterOutputs['analysis']['liveChanges']>;
export type TreeInput = RouterInputs['analysis']['tree'];

/** Colours of the change marks, everywhere in the inspector. */
export const MARK = {
  added: { letter: 'A', text: 'text-emerald-600 dark:text-emerald-400', fill: '#10b981' },
  modified: { letter: 'M', text: 'text-amber-600 dark:text-amber-400', fill: '#f59e0b' },
  removed: { letter: 'D', text: 'text-rose-600 dark:text-rose-400', fill: '#f43f5e' },
} as const;

export function markOf(change: string | null | undefined) {
  return change === 'added' || change === 'modified' || change === 'removed' ? MARK[change] : null;
}
