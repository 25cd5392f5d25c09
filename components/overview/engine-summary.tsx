'use client';

import { useQuery } from '@tanstack/react-query';
import { Alert, Card } from '../ui/controls';
import { errorMessage, useTRPC } from '../trpc/react';

function Stat({ label, value, testId }: { label: string; value: string | number; testId?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
      <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
      <div data-testid={testId} className="mt-1 text-2xl font-semibold tabular-nums">
        {value}
      </div>
    </div>
  );
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** The embedded engine's state and Docker-style `info` counts. */
export function EngineSummary() {
  const trpc = useTRPC();
  const status = useQuery(trpc.system.status.queryOptions(undefined, { refetchOnWindowFocus: true }));
  if (status.error) return <Alert>{errorMessage(status.error)}</Alert>;
  if (!status.data) return <p className="text-sm text-slate-500">Asking the engine…</p>;
  const { embedded, info } = status.data;
  if (embedded.state !== 'ready' || !info) {
    return (
      <div data-testid="engine-unavailable">
        <Alert kind="info">
          <strong>{embedded.state === 'needs-root' ? 'The embedded engine needs root.' : 'The embedded engine is not running.'}</strong>{' '}
          {'message' in embedded ? embedded.message : null}
        </Alert>
      </div>
    );
  }
  return (
    <div className="space-y-4">
      <div className="grid grid-cols-2 gap-4 md:grid-cols-4">
        <Stat label="Running" value={info.ContainersRunning} testId="count-running" />
        <Stat label="Paused" value={info.ContainersPaused} testId="count-paused" />
        <Stat label="Stopped" value={info.ContainersStopped} testId="count-stopped" />
        <Stat label="Images" value={info.Images} testId="count-images" />
      </div>
      <Card title="Engine">
        <dl className="grid grid-cols-3 gap-x-6 gap-y-2 text-sm">
          {[
            ['Version', `Berth ${info.ServerVersion}`],
            ['Operating system', info.OperatingSystem],
            ['Kernel', info.KernelVersion],
            ['CPUs', String(info.NCPU)],
            ['Memory', gib(info.MemTotal)],
            ['Storage driver', storageDriver(info.Driver, info.DriverStatus)],
            ['Cgroups', `${info.CgroupDriver}, v${info.CgroupVersion}`],
            ['Data root', info.DockerRootDir],
            ['Security', info.SecurityOptions.join(', ')],
          ].map(([k, v]) => (
            <div key={k}>
              <dt className="text-slate-500">{k}</dt>
              <dd className="font-medium break-all">{v}</dd>
            </div>
          ))}
        </dl>
      </Card>
    </div>
  );
}

/** "btrfs on btrfs", "overlay2 on extfs": the driver and the filesystem under it (docker info's DriverStatus). */
function storageDriver(driver: string, status: [string, string][] | null | undefined): string {
  const backing = status?.find(([k]) => k === 'Backing Filesystem')?.[1];
  return backing ? `${driver} on ${backing}` : driver;
}
