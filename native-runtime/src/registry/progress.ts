// Progress messages in the Engine API's JSON shape (moby's jsonmessage.JSONMessage), as `docker pull`,
// `docker push` and `docker load` stream them.

export interface ProgressDetail {
  current?: number;
  total?: number;
}

export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: ProgressDetail;
  progress?: string;
  stream?: string;
  aux?: Record<string, unknown>;
  errorDetail?: { message: string };
  error?: string;
}

export type OnProgress = (m: ProgressMessage) => void;

/** go-units HumanSize: decimal units, 4 significant digits ("772.8kB", "2.151MB", "32B"). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** JSONProgress.String() at the daemon's width: `[=====>     ]  1.2MB/2.3MB`. */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  let pct = Math.floor(Math.floor((current / total) * 100) / 2);
  if (pct > 50) pct = 50;
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  return bar + `${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Emits Downloading/Pushing updates at most every `intervalMs` (and always the last one). */
export function throttled(emit: OnProgress | undefined, status: string, id: string, intervalMs = 100): (current: number, total: number) => void {
  let last = 0;
  return (current, total) => {
    if (!emit) return;
    const now = Date.now();
    if (current < total && now - last < intervalMs) return;
    last = now;
    emit({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  };
}
