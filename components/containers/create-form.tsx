'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import type { CreateContainerInput, RouterOutputs } from '../trpc/types';
import { ConfirmDialog } from '../images/confirm-dialog';
import { Alert, Button, Card, Field, Select, TextInput } from '../ui/controls';
import { RoleNotice } from '../auth/role-notice';

type KV = { key: string; value: string };
type Port = { hostIp: string; hostPort: string; containerPort: string; proto: 'tcp' | 'udp' };
type Vol = { source: string; target: string; readOnly: boolean };
type Rate = { path: string; rate: string };

/** Rows of inputs with add/remove; `render` draws one row and gets its index for error keys. */
function Rows<T>({ label, addLabel, rows, setRows, blank, render }: { label: string; addLabel?: string; rows: T[]; setRows: (r: T[]) => void; blank: T; render: (row: T, set: (r: T) => void, i: number) => ReactNode }) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-700 dark:text-slate-300">{label}</legend>
      {rows.map((row, i) => (
        <div key={i} className="flex items-start gap-2">
          <div className="grid flex-1 grid-cols-4 gap-2">{render(row, (r) => setRows(rows.map((x, j) => (j === i ? r : x))), i)}</div>
          <Button variant="ghost" aria-label={`Remove ${label} row ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            ✕
          </Button>
        </div>
      ))}
      <Button variant="secondary" onClick={() => setRows([...rows, { ...blank }])}>
        {addLabel ?? `Add ${label.toLowerCase().replace(/s$/, '')}`}
      </Button>
    </fieldset>
  );
}

type FormValues = RouterOutputs['containers']['formOf']['form'];

/** Where the form's values come from: a blank form (maybe with an image), or an existing container. */
export type FormMode = { kind: 'create'; image: string } | { kind: 'duplicate'; from: string; initial: FormValues } | { kind: 'edit'; from: string; initial: FormValues };

export function CreateContainerForm({ mode }: { mode: FormMode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const canOperate = useHasRole('operator');
  const isAdmin = useHasRole('admin');
  const images = useQuery(trpc.containers.imageChoices.queryOptions());
  const init = mode.kind === 'create' ? null : mode.initial;
  const [image, setImage] = useState(init?.image ?? (mode.kind === 'create' ? mode.image : ''));
  // A duplicate needs a name of its own; an edited container keeps its name.
  const [name, setName] = useState(mode.kind === 'duplicate' ? '' : (init?.name ?? ''));
  const [command, setCommand] = useState(init?.command ?? '');
  const [entrypoint, setEntrypoint] = useState(init?.entrypoint ?? '');
  const [env, setEnv] = useState<KV[]>(init?.env ?? []);
  const [labels, setLabels] = useState<KV[]>(init?.labels ?? []);
  const [ports, setPorts] = useState<Port[]>(init?.ports ?? []);
  const [volumes, setVolumes] = useState<Vol[]>(init?.volumes ?? []);
  const [network, setNetwork] = useState(init?.network ?? '');
  const [restart, setRestart] = useState<CreateContainerInput['restart']>(init?.restart ?? 'no');
  const [autoRemove, setAutoRemove] = useState(init?.autoRemove ?? false);
  const [userns, setUserns] = useState<CreateContainerInput['userns']>(init?.userns ?? '');
  // Edit and duplicate keep --privileged; only an admin sees (and may change) the box, as the server allows.
  const [privileged, setPrivileged] = useState(init?.privileged ?? false);
  // --device entries, one per line; admins only, as privileged (the server checks the role too).
  const [devices, setDevices] = useState((init?.devices ?? []).join('\n'));
  const [tty, setTty] = useState(init?.tty ?? false);
  const [openStdin, setOpenStdin] = useState(init?.openStdin ?? false);
  const [user, setUser] = useState(init?.user ?? '');
  const [workdir, setWorkdir] = useState(init?.workdir ?? '');
  const [memory, setMemory] = useState(init?.memory ?? '');
  const [cpus, setCpus] = useState(init?.cpus ?? '');
  const [pidsLimit, setPidsLimit] = useState(init?.pidsLimit ?? '');
  const [readBps, setReadBps] = useState<Rate[]>(init?.deviceReadBps ?? []);
  const [writeBps, setWriteBps] = useState<Rate[]>(init?.deviceWriteBps ?? []);
  const [startNow, setStartNow] = useState(true);
  const [confirmRecreate, setConfirmRecreate] = useState(false);
  // Settings → Defaults prefill limits, restart policy and network once, on a blank form only, and only
  // the fields still blank: what the user typed before the defaults arrived is kept.
  const defaults = useQuery(trpc.settings.containerDefaults.queryOptions(undefined, { enabled: mode.kind === 'create' }));
  const [prefilled, setPrefilled] = useState(false);
  if (mode.kind === 'create' && defaults.data && !prefilled) {
    const d = defaults.data;
    setPrefilled(true);
    setMemory((v) => v || d.memory);
    setCpus((v) => v || d.cpus);
    setPidsLimit((v) => v || d.pidsLimit);
    setRestart((v) => (v === 'no' ? d.restart : v));
    setNetwork((v) => v || d.network);
  }

  const recreate = useMutation(
    trpc.containers.recreate.mutationOptions({
      onSuccess: (r) => router.push(`/containers/${r.id}${r.error ? `?startError=${encodeURIComponent(r.error)}` : ''}`),
      onSettled: () => setConfirmRecreate(false),
    }),
  );
  const create = useMutation(
    trpc.containers.create.mutationOptions({
      onSuccess: (r) => router.push(`/containers/${r.id}${r.error ? `?startError=${encodeURIComponent(r.error)}` : ''}`),
    }),
  );
  const failed = create.error ?? recreate.error;
  // Recreate nests the form under "form": its field errors read the same as create's.
  const fe = Object.fromEntries(Object.entries(fieldErrorsOf(failed)).map(([k, v]) => [k.replace(/^form\./, ''), v]));
  const values = (): CreateContainerInput => ({
      image,
      name,
      command,
      entrypoint,
      env,
      labels,
      ports,
      volumes,
      network,
      restart,
      autoRemove,
      userns,
      tty,
      openStdin,
      user,
      workdir,
      memory,
      cpus,
      pidsLimit,
      deviceReadBps: readBps,
      deviceWriteBps: writeBps,
      privileged,
      devices: devices.split('\n').map((d) => d.trim()).filter(Boolean),
      start: startNow,
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mode.kind === 'edit') setConfirmRecreate(true);
    else create.mutate(values());
  };
  const check = (label: string, value: boolean, set: (v: boolean) => void) => (
    <label className="flex items-center gap-2 text-sm">
      <input type="checkbox" checked={value} onChange={(e) => set(e.target.checked)} />
      {label}
    </label>
  );

  return (
    <form onSubmit={submit} aria-label="Create container" className="space-y-4" noValidate>
      <RoleNotice need="operator">Creating containers needs the operator role. You can fill the form, but the server will refuse it.</RoleNotice>
      <Card title="Container">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Image" errors={fe.image}>
            <TextInput name="image" list="image-choices" value={image} onChange={(e) => setImage(e.target.value)} placeholder="busybox:latest" />
          </Field>
          <datalist id="image-choices">
            {(images.data ?? []).map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          <Field label="Name" errors={fe.name} hint={mode.kind === 'edit' ? 'Recreate keeps the name.' : 'Optional; Docker picks one when empty.'}>
            <TextInput name="name" value={name} onChange={(e) => setName(e.target.value)} readOnly={mode.kind === 'edit'} />
          </Field>
          <Field label="Command" errors={fe.command} hint='Shell words, e.g. sh -c "echo hi; sleep 1d"'>
            <TextInput name="command" value={command} onChange={(e) => setCommand(e.target.value)} />
          </Field>
          <Field label="Entrypoint" errors={fe.entrypoint}>
            <TextInput name="entrypoint" value={entrypoint} onChange={(e) => setEntrypoint(e.target.value)} />
          </Field>
          <Field label="User" errors={fe.user} hint="name, uid or uid:gid">
            <TextInput name="user" value={user} onChange={(e) => setUser(e.target.value)} />
          </Field>
          <Field label="Working directory" errors={fe.workdir}>
            <TextInput name="workdir" value={workdir} onChange={(e) => setWorkdir(e.target.value)} />
          </Field>
          <Field label="Network" errors={fe.network} hint="Empty for the engine's default; none, host, or a network name.">
            <TextInput name="network" value={network} onChange={(e) => setNetwork(e.target.value)} />
          </Field>
          <Field label="Restart policy" errors={fe.restart}>
            <Select name="restart" value={restart} onChange={(e) => setRestart(e.target.value as typeof restart)}>
              <option value="no">no</option>
              <option value="always">always</option>
              <option value="unless-stopped">unless-stopped</option>
              <option value="on-failure">on-failure</option>
            </Select>
          </Field>
          <Field label="User namespace" errors={fe.userns} hint="Whether root in the container is root on the host.">
            <Select name="userns" value={userns} onChange={(e) => setUserns(e.target.value as typeof userns)}>
              <option value="">engine default</option>
              <option value="host">host (root is the host&apos;s root)</option>
              <option value="auto">auto (its own id range)</option>
            </Select>
          </Field>
        </div>
        <div className="mt-3 flex flex-wrap gap-6">
          {check('Remove when it exits (--rm)', autoRemove, setAutoRemove)}
          {check('TTY (-t)', tty, setTty)}
          {check('Keep stdin open (-i)', openStdin, setOpenStdin)}
          {check('Start after creating', startNow, setStartNow)}
          {isAdmin ? check('Privileged mode (--privileged)', privileged, setPrivileged) : null}
        </div>
        {isAdmin ? (
          <div className="mt-3">
            <Field
              label="Devices (--device)"
              errors={Object.entries(fe).filter(([k]) => k === 'devices' || k.startsWith('devices.')).flatMap(([, v]) => v)}
              hint="One per line: /dev/fuse, or host:container[:rwm] such as /dev/loop0:/dev/xvda:r."
            >
              <textarea
                name="devices"
                rows={2}
                value={devices}
                onChange={(e) => setDevices(e.target.value)}
                className="w-full rounded-md border border-slate-300 bg-white p-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-900"
              />
            </Field>
          </div>
        ) : null}
      </Card>

      <Card title="Environment and labels">
        <div className="space-y-4">
          <Rows
            label="Environment variables"
            rows={env}
            setRows={setEnv}
            blank={{ key: '', value: '' }}
            render={(r, set, i) => (
              <>
                <Field label="Name" errors={fe[`env.${i}.key`]}>
                  <TextInput value={r.key} onChange={(e) => set({ ...r, key: e.target.value })} />
                </Field>
                <div className="col-span-3">
                  <Field label="Value" errors={fe[`env.${i}.value`]}>
                    <TextInput value={r.value} onChange={(e) => set({ ...r, value: e.target.value })} />
                  </Field>
                </div>
              </>
            )}
          />
          <Rows
            label="Labels"
            rows={labels}
            setRows={setLabels}
            blank={{ key: '', value: '' }}
            render={(r, set, i) => (
              <>
                <Field label="Key" errors={fe[`labels.${i}.key`]}>
                  <TextInput value={r.key} onChange={(e) => set({ ...r, key: e.target.value })} />
                </Field>
                <div className="col-span-3">
                  <Field label="Label value" errors={fe[`labels.${i}.value`]}>
                    <TextInput value={r.value} onChange={(e) => set({ ...r, value: e.target.value })} />
                  </Field>
                </div>
              </>
            )}
          />
        </div>
      </Card>

      <Card title="Ports and volumes">
        <div className="space-y-4">
          <Rows
            label="Ports"
            rows={ports}
            setRows={setPorts}
            blank={{ hostIp: '127.0.0.1', hostPort: '', containerPort: '', proto: 'tcp' }}
            render={(r, set, i) => (
              <>
                <Field label="Host IP" errors={fe[`ports.${i}.hostIp`]}>
                  <TextInput value={r.hostIp} onChange={(e) => set({ ...r, hostIp: e.target.value })} />
                </Field>
                <Field label="Host port" errors={fe[`ports.${i}.hostPort`]} hint="empty: any free port">
                  <TextInput value={r.hostPort} onChange={(e) => set({ ...r, hostPort: e.target.value })} />
                </Field>
                <Field label="Container port" errors={fe[`ports.${i}.containerPort`]}>
                  <TextInput value={r.containerPort} onChange={(e) => set({ ...r, containerPort: e.target.value })} />
                </Field>
                <Field label="Protocol">
                  <Select value={r.proto} onChange={(e) => set({ ...r, proto: e.target.value as 'tcp' | 'udp' })}>
                    <option>tcp</option>
                    <option>udp</option>
                  </Select>
                </Field>
              </>
            )}
          />
          <Rows
            label="Volumes"
            rows={volumes}
            setRows={setVolumes}
            blank={{ source: '', target: '', readOnly: false }}
            render={(r, set, i) => (
              <>
                <div className="col-span-2">
                  <Field label="Host path or volume" errors={fe[`volumes.${i}.source`]}>
                    <TextInput value={r.source} onChange={(e) => set({ ...r, source: e.target.value })} />
                  </Field>
                </div>
                <Field label="Container path" errors={fe[`volumes.${i}.target`]}>
                  <TextInput value={r.target} onChange={(e) => set({ ...r, target: e.target.value })} />
                </Field>
                <label className="flex items-center gap-2 pt-6 text-sm">
                  <input type="checkbox" checked={r.readOnly} onChange={(e) => set({ ...r, readOnly: e.target.checked })} /> read-only
                </label>
              </>
            )}
          />
        </div>
      </Card>

      <Card title="Limits">
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Memory" errors={fe.memory} hint="e.g. 64m, 1g">
            <TextInput name="memory" value={memory} onChange={(e) => setMemory(e.target.value)} />
          </Field>
          <Field label="CPUs" errors={fe.cpus} hint="e.g. 0.5">
            <TextInput name="cpus" value={cpus} onChange={(e) => setCpus(e.target.value)} />
          </Field>
          <Field label="Pids limit" errors={fe.pidsLimit}>
            <TextInput name="pidsLimit" value={pidsLimit} onChange={(e) => setPidsLimit(e.target.value)} />
          </Field>
        </div>
        <div className="mt-4 space-y-4">
          {[
            ['Device read bps', readBps, setReadBps, 'deviceReadBps', 'Add device read limit'] as const,
            ['Device write bps', writeBps, setWriteBps, 'deviceWriteBps', 'Add device write limit'] as const,
          ].map(([label, rows, setRows, key, addLabel]) => (
            <Rows
              key={key}
              label={label}
              addLabel={addLabel}
              rows={rows}
              setRows={setRows}
              blank={{ path: '/dev/', rate: '' }}
              render={(r, set, i) => (
                <>
                  <div className="col-span-2">
                    <Field label="Device" errors={fe[`${key}.${i}.path`]}>
                      <TextInput value={r.path} onChange={(e) => set({ ...r, path: e.target.value })} />
                    </Field>
                  </div>
                  <Field label="Rate" errors={fe[`${key}.${i}.rate`]} hint="e.g. 1m">
                    <TextInput value={r.rate} onChange={(e) => set({ ...r, rate: e.target.value })} />
                  </Field>
                </>
              )}
            />
          ))}
        </div>
      </Card>

      {failed && !Object.keys(fe).length ? <Alert>{errorMessage(failed)}</Alert> : null}
      {failed && Object.keys(fe).length ? <Alert>Some fields need attention; see the messages beside them.</Alert> : null}
      <div className="flex gap-2">
        {mode.kind === 'edit' ? (
          <Button type="submit" disabled={recreate.isPending}>
            {recreate.isPending ? 'Recreating…' : 'Recreate'}
          </Button>
        ) : (
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : startNow ? 'Create and start' : 'Create'}
          </Button>
        )}
        <Button variant="secondary" onClick={() => router.push(mode.kind === 'create' ? '/containers' : `/containers/${mode.from}`)}>
          Cancel
        </Button>
      </div>
      {confirmRecreate && mode.kind === 'edit' ? (
        <ConfirmDialog
          title={`Recreate ${name}?`}
          confirmLabel="Recreate"
          busy={recreate.isPending}
          onCancel={() => setConfirmRecreate(false)}
          onConfirm={() => recreate.mutate({ id: mode.from, form: values() })}
        >
          <p>The container is stopped and replaced by a new one with these settings, under the same name. Its volumes, anonymous ones included, stay with it; files written elsewhere in its filesystem are lost.</p>
        </ConfirmDialog>
      ) : null}
    </form>
  );
}
