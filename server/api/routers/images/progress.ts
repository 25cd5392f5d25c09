// Pull and push progress: the engine's JSON lines reduced to what the per-layer bars need.
export interface ProgressLine {
  id?: string;
  status?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

export interface LayerProgress {
  /** Layer id, or '' for whole-image lines ("Pulling from", "Digest:", "Status:"). */
  id: string;
  status: string;
  current: number | null;
  total: number | null;
  error: string | null;
}

export function toLayerProgress(line: ProgressLine): LayerProgress {
  const error = line.errorDetail?.message ?? line.error ?? null;
  const d = line.progressDetail;
  return {
    id: line.id ?? '',
    status: error ? 'Error' : (line.status ?? ''),
    current: typeof d?.current === 'number' ? d.current : null,
    total: typeof d?.total === 'number' && d.total > 0 ? d.total : null,
    error,
  };
}
