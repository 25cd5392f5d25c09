'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import { useRef, useState } from 'react';
import { TimeChart } from '../charts/time-chart';
import { errorMessage, useTRPC } from '../trpc/react';
import type { RouterOutputs, Yield } from '../trpc/types';
import { Alert } from '../ui/controls';
import { formatBytes, formatPercent } from '../ui/format';

type Point = Yield<RouterOutputs['containers']['stats']>;
const KEEP = 300;

interface Series {
  t: number[];
  cpu: number[];
  mem: number[];
  limit: number[];
  blkR: number[];
  blkW: number[];
  rx: number[];
  tx: number[];
  pids: number[];
}
const empty = (): Series => ({ t: [], cpu: [], mem: [], limit: [], blkR: [], blkW: [], rx: [], tx: [], pids: [] });

/** Per-second rate between two cumulative counters. */
const rate = (cur: number, prev: number | undefined, dt: number) => (prev === undefined || dt <= 0 ? 0 : Math.max(0, (cur - prev) / dt));

export function StatsPanel({ containerId, running }: { containerId: string; running: boolean }) {
  const trpc = useTRPC();
  const [s, setS] = useState<Series>(empty);
  const [last, setLast] = useState<Point | null>(null);
  const prevRef = useRef<Point | null>(null);

  const sub = useSubscription(
    trpc.containers.stats.subscriptionOptions(
      { id: containerId },
      {
        enabled: running,
        onData: (p) => {
          const prev = prevRef.current;
          prevRef.current = p;
          const dt = prev ? (p.t - prev.t) / 1000 : 0;
          setLast(p);
          setS((x) => {
            const keep = (a: number[], v: number) => [...a, v].slice(-KEEP);
            return {
              t: keep(x.t, p.t / 1000),
              cpu: keep(x.cpu, p.cpuPercent),
              mem: keep(x.mem, p.memUsage),
              limit: keep(x.limit, p.memLimit),
              blkR: keep(x.blkR, rate(p.blkRead, prev?.blkRead, dt)),
              blkW: keep(x.blkW, rate(p.blkWrite, prev?.blkWrite, dt)),
              rx: keep(x.rx, rate(p.netRx, prev?.netRx, dt)),
              tx: keep(x.tx, rate(p.netTx, prev?.netTx, dt)),
              pids: keep(x.pids, p.pids),
            };
          });
        },
      },
    ),
  );

  if (!running) return <Alert kind="info">The container is not running, so it uses nothing. Start it to see live usage.</Alert>;
  const p = last;
  const perSec = (n: number) => `${formatBytes(n)}/s`;
  return (
    <div className="space-y-3">
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      <div className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-5" data-testid="stats-now">
        {[
          ['CPU', p ? formatPercent(p.cpuPercent) : '—'],
          ['Memory', p ? `${formatBytes(p.memUsage)}${p.memLimit ? ` / ${formatBytes(p.memLimit)}` : ''}` : '—'],
          ['Block IO', p ? `${formatBytes(p.blkRead)} / ${formatBytes(p.blkWrite)}` : '—'],
          ['Network', p ? `${formatBytes(p.netRx)} / ${formatBytes(p.netTx)}` : '—'],
          ['PIDs', p ? String(p.pids) : '—'],
        ].map(([k, v]) => (
          <div key={k} className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
            <div className="text-xs uppercase text-slate-500">{k}</div>
            <div className="mt-1 font-semibold tabular-nums">{v}</div>
          </div>
        ))}
      </div>
      {!p ? <p className="text-sm text-slate-500">Waiting for the first sample…</p> : null}
      <div className="grid gap-3 md:grid-cols-2">
        <TimeChart testId="chart-cpu" title="CPU %" series={[{ label: 'CPU', color: '#0284c7' }]} data={[s.t, s.cpu]} format={(v) => formatPercent(v)} />
        <TimeChart
          testId="chart-memory"
          title="Memory"
          series={[
            { label: 'used', color: '#7c3aed' },
            { label: 'limit', color: '#e11d48', dash: [6, 4] },
          ]}
          data={[s.t, s.mem, s.limit]}
          format={formatBytes}
        />
        <TimeChart
          testId="chart-blkio"
          title="Block IO"
          series={[
            { label: 'read', color: '#059669' },
            { label: 'write', color: '#d97706' },
          ]}
          data={[s.t, s.blkR, s.blkW]}
          format={perSec}
        />
        <TimeChart
          testId="chart-network"
          title="Network"
          series={[
            { label: 'received', color: '#0891b2' },
            { label: 'sent', color: '#db2777' },
          ]}
          data={[s.t, s.rx, s.tx]}
          format={perSec}
        />
        <TimeChart testId="chart-pids" title="PIDs" series={[{ label: 'pids', color: '#475569' }]} data={[s.t, s.pids]} format={(v) => String(Math.round(v))} />
      </div>
    </div>
  );
}
