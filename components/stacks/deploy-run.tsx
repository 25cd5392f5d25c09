'use client';

// Running a deploy or rollback and showing its progress live, one row per service: image (pull or
// build, with the build output), create, start, healthy.
import clsx from 'clsx';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, useTRPCClient } from '../trpc/react';
import { Alert, Button } from '../ui/controls';
import { applyDeployEvent, emptyProgress, stepStates, type DeployProgress, type StepName, type StepState } from './deploy-progress';
import { IssueList } from './stack-files-editor';
import type { StackDraft } from './stack-draft';
import type { DeployEvent } from './types';

export interface DeployRun {
  progress: DeployProgress | null;
  /** A failure before the subscription started (staging refused the files, say). */
  error: string | null;
  running: boolean;
  deploy: (name: string, draft: StackDraft, opts?: { note?: string; removeOrphans?: boolean }) => Promise<void>;
  rollback: (name: string, version: number) => void;
  cancel: () => void;
  reset: () => void;
}

export function useDeployRun(onEnd?: (p: DeployProgress) => void): DeployRun {
  const client = useTRPCClient();
  const [progress, setProgress] = useState<DeployProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const sub = useRef<{ unsubscribe: () => void } | null>(null);
  const latest = useRef<DeployProgress>(emptyProgress());
  const ended = useRef(onEnd);
  ended.current = onEnd;
  useEffect(() => () => sub.current?.unsubscribe(), []);

  const handlers = useCallback(
    () => ({
      onData: (e: DeployEvent) => {
        latest.current = applyDeployEvent(latest.current, e);
        setProgress(latest.current);
      },
      onError: (err: unknown) => {
        latest.current = { ...latest.current, status: 'failed', failure: { message: errorMessage(err), issues: [] } };
        setProgress(latest.current);
        setRunning(false);
        sub.current = null;
        ended.current?.(latest.current);
      },
      onComplete: () => {
        setRunning(false);
        sub.current = null;
        ended.current?.(latest.current);
      },
    }),
    [],
  );

  const begin = () => {
    sub.current?.unsubscribe();
    latest.current = emptyProgress();
    setProgress(latest.current);
    setError(null);
    setRunning(true);
  };

  return {
    progress,
    error,
    running,
    deploy: async (name, draft, opts = {}) => {
      begin();
      let stagedId: string;
      try {
        // Staged first: the files travel in a POST, not in the subscription's URL.
        stagedId = (await client.stacks.stage.mutate({ name, files: draft.files, env: draft.env, assets: draft.assets })).stagedId;
      } catch (err) {
        setProgress(null);
        setError(errorMessage(err));
        setRunning(false);
        return;
      }
      sub.current = client.stacks.deploy.subscribe({ name, stagedId, note: opts.note ?? '', removeOrphans: opts.removeOrphans ?? false }, handlers());
    },
    rollback: (name, version) => {
      begin();
      sub.current = client.stacks.rollback.subscribe({ name, version }, handlers());
    },
    cancel: () => {
      // Unsubscribing aborts the server's signal; the deploy stops where it is and the next one converges.
      sub.current?.unsubscribe();
      sub.current = null;
      setRunning(false);
      latest.current = { ...latest.current, status: 'failed', failure: { message: 'Cancelled.', issues: [] } };
      setProgress(latest.current);
    },
    reset: () => {
      setProgress(null);
      setError(null);
    },
  };
}

const STEP_STYLE: Record<StepState, string> = {
  pending: 'border-slate-300 text-slate-400 dark:border-slate-700',
  active: 'border-sky-500 bg-sky-50 text-sky-800 animate-pulse dark:bg-sky-950 dark:text-sky-200',
  done: 'border-emerald-500 bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200',
  failed: 'border-rose-500 bg-rose-50 text-rose-800 dark:bg-rose-950 dark:text-rose-200',
  skipped: 'border-slate-200 text-slate-400 line-through dark:border-slate-800',
};

const STEPS: StepName[] = ['image', 'create', 'start', 'healthy'];

export function DeployProgressView({ progress }: { progress: DeployProgress }) {
  const finished = progress.status !== 'running';
  const [open, setOpen] = useState<string | null>(null);
  return (
    <div className="space-y-3" data-testid="deploy-progress">
      <p className="text-sm" data-testid="deploy-status" data-status={progress.status}>
        {progress.status === 'running' ? 'Deploying…' : progress.status === 'finished' ? `Deployed as version ${progress.version}.` : 'Failed.'}{' '}
        <span className="text-xs tabular-nums text-slate-500">{(progress.at / 1000).toFixed(1)} s</span>
      </p>
      {progress.resources.length ? <p className="text-xs text-slate-500">{progress.resources.join(' · ')}</p> : null}
      <ul className="space-y-2">
        {progress.services.map((s) => {
          const steps = stepStates(s, finished);
          return (
            <li key={s.name} className="rounded-md border border-slate-200 dark:border-slate-800" data-testid="deploy-service" data-service={s.name} data-phase={s.phase}>
              <div className="flex flex-wrap items-center gap-2 px-3 py-1.5 text-sm">
                <span className="w-32 truncate font-medium">{s.name}</span>
                {STEPS.map((st) => (
                  <span key={st} data-step={st} data-state={steps[st]} className={clsx('rounded border px-1.5 text-xs', STEP_STYLE[steps[st]])}>
                    {st === 'image' ? s.imageStep : st === 'healthy' && s.seen.includes('completed') ? 'completed' : st}
                  </span>
                ))}
                <span className="flex-1 truncate text-xs text-slate-500">{s.error ?? (s.seen.includes('unchanged') ? 'unchanged' : s.pullStatus)}</span>
                {s.output.length ? (
                  <Button variant="ghost" className="py-0.5 text-xs" onClick={() => setOpen(open === s.name ? null : s.name)}>
                    {open === s.name ? 'Hide output' : 'Output'}
                  </Button>
                ) : null}
              </div>
              {open === s.name || (s.imageStep === 'build' && s.phase === 'building') ? (
                <pre className="max-h-48 overflow-auto border-t border-slate-100 px-3 py-1 text-xs dark:border-slate-800" data-testid="deploy-output">
                  {s.output.join('\n')}
                </pre>
              ) : null}
            </li>
          );
        })}
      </ul>
      {progress.warnings.length ? (
        <Alert kind="info">
          <ul className="list-disc pl-4">
            {progress.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {progress.failure ? (
        <Alert>
          <span data-testid="deploy-error">{progress.failure.message}</span>
          {progress.failure.issues.some((i) => i.line) ? <IssueList issues={progress.failure.issues} /> : null}
        </Alert>
      ) : null}
    </div>
  );
}
