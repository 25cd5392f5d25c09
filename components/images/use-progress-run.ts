'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../trpc/react';
import { foldProgress, type LayerState, type ProgressEvent } from './layer-progress';

type Subscribe = (handlers: { onData: (e: ProgressEvent) => void; onError: (err: unknown) => void; onComplete: () => void }) => { unsubscribe: () => void };

/** Runs one pull or push subscription and keeps its per-layer bars; unmounting or cancel() stops it. */
export function useProgressRun() {
  const [layers, setLayers] = useState<LayerState[]>([]);
  const [state, setState] = useState<'idle' | 'running' | 'done' | 'failed'>('idle');
  const [message, setMessage] = useState('');
  const sub = useRef<{ unsubscribe: () => void } | null>(null);
  const seen = useRef(new Map<string, Set<number>>());

  const start = useCallback((subscribe: Subscribe, onDone?: () => void) => {
    sub.current?.unsubscribe();
    seen.current = new Map();
    setLayers([]);
    setMessage('');
    setState('running');
    let failed = false;
    sub.current = subscribe({
      onData: (e) => {
        if (e.error) {
          failed = true;
          setMessage(e.error);
          setState('failed');
        } else if (!e.id || !/^[0-9a-f]{6,}$/.test(e.id)) setMessage(e.status);
        setLayers((l) => foldProgress(l, e, seen.current));
      },
      onError: (err) => {
        setMessage(errorMessage(err));
        setState('failed');
      },
      onComplete: () => {
        if (!failed) {
          setState('done');
          onDone?.();
        }
      },
    });
  }, []);

  const cancel = useCallback(() => {
    sub.current?.unsubscribe();
    sub.current = null;
    setState('idle');
  }, []);

  useEffect(() => () => sub.current?.unsubscribe(), []);
  return { layers, state, message, start, cancel };
}
