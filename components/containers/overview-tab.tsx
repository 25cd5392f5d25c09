'use client';

import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import type { ContainerInspect } from '../trpc/types';
import { Alert, Button, Card, Field, TextInput } from '../ui/controls';
import { formatBytes, shellJoin } from '../ui/format';
import { StateBadge } from '../ui/state-badge';
import { RemoveDialog } from './remove-dialog';

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
  const [ask, setAsk] = useState(false);
  // Docker's anonymous volumes: volume mounts with no name of the user's in the binds.
  const named = new Set((c.HostConfig.Binds ?? []).map((b) => b.split(':')[0]));
  const anonymous = (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name && !named.has(m.Name)).length;
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
        <Link href={`/containers/new?from=${c.Id}&mode=edit`} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
          Edit
        </Link>
        <Link href={`/containers/new?from=${c.Id}&mode=duplicate`} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
          Duplicate
        </Link>
        <Button variant="danger" disabled={busy} onClick={() => setAsk(true)}>
          Remove
        </Button>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      {ask ? (
        <RemoveDialog
          names={[c.Name.replace(/^\//, '')]}
          running={s.Running ? 1 : 0}
          anonymous={anonymous}
          busy={remove.isPending}
          onCancel={() => setAsk(false)}
          onConfirm={(volumes) => remove.mutate({ id: c.Id, force: true, volumes })}
        />
      ) : null}
    </div>
  );
}

/** What a limits update does to the container as it is now (the inspect document is live). */
function appliesTo(c: ContainerInspect): string {
  const s = c.State;
  if (s.Restarting) return 'The container is restarting: the limits apply when it starts again.';
  if (s.Paused) return 'Limits applied to the paused container.';
  if (s.Running) return 'Limits applied to the running container.';
  return `The container is ${s.Status}: the limits are saved and apply when it starts.`;
}

function LimitsForm({ c }: { c: ContainerInspect }) {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const hc = c.HostConfig;
  const [memory, setMemory] = useState(mib(hc.Memory));
  const [cpus, setCpus] = useState(hc.NanoCpus ? String(hc.NanoCpus / 1e9) : '');
  const [pids, setPids] = useState(hc.PidsLimit && hc.PidsLimit > 0 ? String(hc.PidsLimit) : '');
  const update = useMutation(trpc.containers.update.mutationOptions());
  // The engine's refusals (below 6 MB, below what the container uses, more CPUs than the host has) come
  // back as field errors, in its own words.
  const fe = fieldErrorsOf(update.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ id: c.Id, memory, memorySwap: '', cpus, pidsLimit: pids });
  };
  return (
    <form onSubmit={submit} aria-label="Limits" className="space-y-3">
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Memory limit" errors={fe.memory ?? fe.memorySwap} hint={`now ${hc.Memory ? formatBytes(hc.Memory) : 'unlimited'}`}>
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
      {update.isSuccess ? (
        <Alert kind="success">
          <span data-testid="limits-result">{appliesTo(c)}</span>
          {update.data.warnings?.length ? ` ${update.data.warnings.join(' ')}` : ''}
        </Alert>
      ) : null}
      {update.error && !Object.keys(fe).length ? <Alert>{errorMessage(update.error)}</Alert> : null}
    </form>
  );
}

/** From HostConfig.IDMappings ("0:<host>:<size>", Podman's field, set by Berth); null when unknown. */
function rootOnHost(c: ContainerInspect): string | null {
  const root = c.HostConfig.IDMappings?.UidMap.map((m) => m.split(':')).find((m) => m[0] === '0');
  if (root) return `root in the container is uid ${root[1]} on the host`;
  return c.HostConfig.UsernsMode === 'host' ? 'none: root in the container is root on the host' : null;
}

export function OverviewTab({ c }: { c: ContainerInspect }) {
  const canOperate = useHasRole('operator');
  const s = c.State;
  const ports = Object.entries(c.NetworkSettings?.Ports ?? {});
  return (
    <div className="grid gap-4 lg:grid-cols-2">
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
          <dd className="break-all">
            {c.Config.Image}{' '}
            <Link href={`/layers/${encodeURIComponent(c.Config.Image)}`} className="text-xs text-sky-700 hover:underline dark:text-sky-400">
              layers
            </Link>
          </dd>
          <dt className="text-slate-500">Command</dt>
          <dd className="break-all font-mono text-xs" data-testid="container-command">{shellJoin([c.Path, ...(c.Args ?? [])])}</dd>
          {rootOnHost(c) ? (
            <>
              <dt className="text-slate-500">User namespace</dt>
              <dd data-testid="container-userns">{rootOnHost(c)}</dd>
            </>
          ) : null}
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
              <li key={m.Destination} className="font-mono text-xs break-all">
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
