'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import type { ContainerInspect } from '../trpc/types';
import { Alert, Button, Card, Field, TextInput } from '../ui/controls';
import { formatBytes } from '../ui/format';
import { StateBadge } from '../ui/state-badge';

const mib = (b: number) => (b ? `${Math.round(b / 1024 / 1024)}m` : '');

function Actions({ c }: { c: ContainerInspect }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const opts = { onError: (e: unknown) => setError(errorMessage(e)), onSuccess: () => setError(null) };
  const start = useMutation(trpc.containers.start.mutationOptions(opts));
  const stop = useMutation(trpc.containers.stop.mutationOptions(opts));
  const restart = useMutation(trpc.containers.restart.mutationOptions(opts));
  const kill = useMutation(trpc.containers.kill.mutationOptions(opts));
  const pause = useMutation(trpc.containers.pause.mutationOptions(opts));
  const unpause = useMutation(trpc.containers.unpause.mutationOptions(opts));
  const remove = useMutation(trpc.containers.remove.mutationOptions({ ...opts, onSuccess: () => router.push('/containers') }));
  const busy = [start, stop, restart, kill, pause, unpause, remove].some((m) => m.isPending);
  const s = c.State;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        {!s.Running ? (
          <Button disabled={busy} onClick={() => start.mutate({ id: c.Id })}>
            Start
          </Button>
        ) : (
          <Button variant="secondary" disabled={busy} onClick={() => stop.mutate({ id: c.Id })}>
            {stop.isPending ? 'Stopping…' : 'Stop'}
          </Button>
        )}
        <Button variant="secondary" disabled={busy} onClick={() => restart.mutate({ id: c.Id })}>
          Restart
        </Button>
        {s.Running && !s.Paused ? (
          <Button variant="secondary" disabled={busy} onClick={() => pause.mutate({ id: c.Id })}>
            Pause
          </Button>
        ) : null}
        {s.Paused ? (
          <Button variant="secondary" disabled={busy} onClick={() => unpause.mutate({ id: c.Id })}>
            Unpause
          </Button>
        ) : null}
        <Button variant="secondary" disabled={busy || !s.Running} onClick={() => kill.mutate({ id: c.Id })}>
          Kill
        </Button>
        <Button
          variant="danger"
          disabled={busy}
          onClick={() => {
            if (window.confirm(`Remove ${c.Name.replace(/^\//, '')}?${s.Running ? ' It is running and will be killed.' : ''}`)) remove.mutate({ id: c.Id, force: true });
          }}
        >
          Remove
        </Button>
      </div>
      {error ? <Alert>{error}</Alert> : null}
    </div>
  );
}

function LimitsForm({ c }: { c: ContainerInspect }) {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const hc = c.HostConfig;
  const [memory, setMemory] = useState(mib(hc.Memory));
  const [cpus, setCpus] = useState(hc.NanoCpus ? String(hc.NanoCpus / 1e9) : '');
  const [pids, setPids] = useState(hc.PidsLimit && hc.PidsLimit > 0 ? String(hc.PidsLimit) : '');
  const update = useMutation(trpc.containers.update.mutationOptions());
  const fe = fieldErrorsOf(update.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ id: c.Id, memory, memorySwap: '', cpus, pidsLimit: pids });
  };
  return (
    <form onSubmit={submit} aria-label="Limits" className="space-y-3">
      <div className="grid grid-cols-3 gap-3">
        <Field label="Memory limit" errors={fe.memory} hint={`now ${hc.Memory ? formatBytes(hc.Memory) : 'unlimited'}`}>
          <TextInput name="memory" value={memory} onChange={(e) => setMemory(e.target.value)} placeholder="e.g. 128m" disabled={!canOperate} />
        </Field>
        <Field label="CPUs" errors={fe.cpus} hint={`now ${hc.NanoCpus ? hc.NanoCpus / 1e9 : 'unlimited'}`}>
          <TextInput name="cpus" value={cpus} onChange={(e) => setCpus(e.target.value)} placeholder="e.g. 0.5" disabled={!canOperate} />
        </Field>
        <Field label="Pids limit" errors={fe.pidsLimit} hint={`now ${hc.PidsLimit && hc.PidsLimit > 0 ? hc.PidsLimit : 'unlimited'}`}>
          <TextInput name="pids" value={pids} onChange={(e) => setPids(e.target.value)} disabled={!canOperate} />
        </Field>
      </div>
      {canOperate ? (
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? 'Applying…' : 'Apply limits'}
        </Button>
      ) : null}
      {update.isSuccess ? <Alert kind="success">Limits applied to the running container.{update.data.warnings?.length ? ` ${update.data.warnings.join(' ')}` : ''}</Alert> : null}
      {update.error && !Object.keys(fe).length ? <Alert>{errorMessage(update.error)}</Alert> : null}
    </form>
  );
}

export function OverviewTab({ c }: { c: ContainerInspect }) {
  const canOperate = useHasRole('operator');
  const s = c.State;
  const ports = Object.entries(c.NetworkSettings?.Ports ?? {});
  return (
    <div className="grid grid-cols-2 gap-4">
      <Card title="State">
        <dl className="grid grid-cols-2 gap-y-2 text-sm">
          <dt className="text-slate-500">Status</dt>
          <dd>
            <StateBadge state={s.Status} health={s.Health?.Status ?? null} />
          </dd>
          <dt className="text-slate-500">Exit code</dt>
          <dd data-testid="exit-code">{s.Running ? '—' : s.ExitCode}</dd>
          <dt className="text-slate-500">OOM killed</dt>
          <dd>{s.OOMKilled ? 'yes' : 'no'}</dd>
          <dt className="text-slate-500">Started</dt>
          <dd>{s.StartedAt && !s.StartedAt.startsWith('0001') ? new Date(s.StartedAt).toLocaleString() : '—'}</dd>
          <dt className="text-slate-500">Finished</dt>
          <dd>{s.FinishedAt && !s.FinishedAt.startsWith('0001') ? new Date(s.FinishedAt).toLocaleString() : '—'}</dd>
          <dt className="text-slate-500">Image</dt>
          <dd className="break-all">{c.Config.Image}</dd>
          <dt className="text-slate-500">Command</dt>
          <dd className="break-all font-mono text-xs">{[c.Path, ...(c.Args ?? [])].join(' ')}</dd>
          {s.Error ? (
            <>
              <dt className="text-slate-500">Error</dt>
              <dd className="text-rose-600">{s.Error}</dd>
            </>
          ) : null}
          {s.Health ? (
            <>
              <dt className="text-slate-500">Health</dt>
              <dd>
                {s.Health.Status}, failing streak {s.Health.FailingStreak}
              </dd>
            </>
          ) : null}
        </dl>
        {canOperate ? (
          <div className="mt-4">
            <Actions c={c} />
          </div>
        ) : null}
      </Card>
      <Card title="Limits">
        <LimitsForm c={c} />
      </Card>
      <Card title="Ports">
        {ports.length ? (
          <ul className="space-y-1 text-sm">
            {ports.map(([port, binds]) => (
              <li key={port}>
                {port} →{' '}
                {(binds ?? []).map((b) => {
                  const host = !b.HostIp || b.HostIp === '0.0.0.0' ? window.location.hostname : b.HostIp;
                  return (
                    <a key={`${b.HostIp}:${b.HostPort}`} className="mr-2 text-sky-600 hover:underline" href={`http://${host}:${b.HostPort}/`} target="_blank" rel="noreferrer" data-testid="detail-port-link">
                      {host}:{b.HostPort}
                    </a>
                  );
                })}
                {!binds?.length ? <span className="text-slate-500">not published</span> : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-500">No ports. Publish one when you create a container.</p>
        )}
      </Card>
      <Card title="Mounts">
        {c.Mounts?.length ? (
          <ul className="space-y-1 text-sm">
            {c.Mounts.map((m) => (
              <li key={m.Destination} className="font-mono text-xs">
                {m.Type} {m.Name ?? m.Source} → {m.Destination} {m.RW ? '' : '(ro)'}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-500">No volumes or binds.</p>
        )}
      </Card>
    </div>
  );
}
