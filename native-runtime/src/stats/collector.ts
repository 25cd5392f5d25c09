// Container stats in the Engine API's shape. Docker's `stream: false` waits a second for two samples;
// here a small per-container sampler keeps the last sample while somebody asks (it stops after
// IDLE_MS without a request), so the answer is immediate and precpu_stats is a real earlier sample.
// The first request of a container has no earlier sample: like dockerd (daemon/stats.go primes precpu
// with a first frame and answers with the next one, a second later) it samples twice, TICK_MS apart.
import { Readable } from 'node:stream';
import { sample, toDockerStats, type StatsSample } from '../cgroups/stats.js';
import type { CgroupDriver } from '../cgroups/types.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerStats } from '../engine/types.js';
import { netStats } from './network.js';

const TICK_MS = 1000;
const IDLE_MS = 30_000;
/** A cached sample younger than this is too close to "now" to give a meaningful CPU delta. */
const MIN_PRECPU_AGE_MS = 200;
const ZERO_TIME = '0001-01-01T00:00:00Z';

interface Sampler {
  /** The two most recent samples, newest last: one of them is always old enough for a CPU delta. */
  recent: StatsSample[];
  timer: NodeJS.Timeout;
  askedAt: number;
}

export interface StatsDeps {
  cgroups: CgroupDriver;
  /** The record now (it changes state while a stream runs). */
  lookup(id: string): ContainerRecord | undefined;
}

const running = (r: ContainerRecord | undefined): r is ContainerRecord => !!r && (r.state.status === 'running' || r.state.status === 'paused');

export class StatsCollector {
  private readonly samplers = new Map<string, Sampler>();
  private memTotal: number | undefined;

  constructor(private readonly d: StatsDeps) {}

  private async take(id: string): Promise<StatsSample> {
    return sample(await this.d.cgroups.stats(id));
  }

  private async toStats(rec: ContainerRecord, cur: StatsSample, prev: StatsSample | undefined): Promise<ContainerStats> {
    this.memTotal ??= (await this.d.cgroups.capabilities()).memTotal;
    const out = toDockerStats(cur, prev, { id: rec.cfg.id, name: rec.cfg.name, memTotal: this.memTotal });
    const nets = rec.cfg.hostConfig.NetworkMode === 'host' ? undefined : netStats(rec.state.pid);
    if (nets) out.networks = nets;
    return out;
  }

  /** stream: false. oneShot: a single sample, empty precpu (Docker's one-shot). */
  async once(rec: ContainerRecord, oneShot = false): Promise<ContainerStats> {
    if (!running(rec)) return emptyStats(rec);
    const cur = await this.take(rec.cfg.id);
    if (oneShot) return this.toStats(rec, cur, undefined);
    const s = this.keepSampling(rec.cfg.id);
    const prev = [...s.recent].reverse().find((x) => cur.read.getTime() - x.read.getTime() >= MIN_PRECPU_AGE_MS);
    if (!s.recent.length) s.recent.push(cur);
    if (prev) return this.toStats(rec, cur, prev);
    return this.secondSample(rec, cur);
  }

  /** No sample old enough for a CPU delta: wait a tick and take the next one (dockerd's primed first frame). */
  private async secondSample(rec: ContainerRecord, first: StatsSample): Promise<ContainerStats> {
    await new Promise((r) => setTimeout(r, TICK_MS));
    const now = this.d.lookup(rec.cfg.id) ?? rec;
    if (!running(now)) return emptyStats(now);
    const cur = await this.take(rec.cfg.id).catch(() => undefined);
    if (!cur) return emptyStats(now);
    const s = this.samplers.get(rec.cfg.id);
    if (s) s.recent = [...s.recent, cur].sort((a, b) => a.read.getTime() - b.read.getTime()).slice(-2);
    return this.toStats(now, cur, first);
  }

  private keepSampling(id: string): Sampler {
    let s = this.samplers.get(id);
    if (!s) {
      const timer = setInterval(() => void this.tick(id), TICK_MS);
      timer.unref();
      s = { timer, askedAt: Date.now(), recent: [] };
      this.samplers.set(id, s);
    }
    s.askedAt = Date.now();
    return s;
  }

  private async tick(id: string): Promise<void> {
    const s = this.samplers.get(id);
    if (!s) return;
    if (Date.now() - s.askedAt > IDLE_MS || !running(this.d.lookup(id))) {
      this.stop(id);
      return;
    }
    const next = await this.take(id).catch(() => undefined);
    if (next) s.recent = [...s.recent, next].slice(-2);
  }

  private stop(id: string): void {
    const s = this.samplers.get(id);
    if (s) clearInterval(s.timer);
    this.samplers.delete(id);
  }

  /** stream: true: one JSON object per second, newline-delimited, until the container stops. */
  stream(id: string): Readable {
    let prev: StatsSample | undefined = this.samplers.get(id)?.recent.at(-1);
    let timer: NodeJS.Timeout | undefined;
    const out = new Readable({
      read() {},
      destroy(err, cb) {
        if (timer) clearTimeout(timer);
        cb(err);
      },
    });
    const emit = async (): Promise<void> => {
      const rec = this.d.lookup(id);
      if (out.destroyed) return;
      if (!running(rec)) {
        out.push(null);
        return;
      }
      try {
        const cur = await this.take(id);
        out.push(JSON.stringify(await this.toStats(rec, cur, prev)) + '\n');
        prev = cur;
      } catch (e) {
        if (!running(this.d.lookup(id))) return void out.push(null);
        out.destroy(e as Error);
        return;
      }
      timer = setTimeout(() => void emit(), TICK_MS);
    };
    void emit();
    return out;
  }

  close(): void {
    for (const id of [...this.samplers.keys()]) this.stop(id);
  }
}

/** What dockerd answers for a container that is not running: zeroes, Go's zero time. */
function emptyStats(rec: ContainerRecord): ContainerStats {
  const cpu = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  const blk = {
    io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
    io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
  };
  return {
    read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: blk, num_procs: 0, storage_stats: {},
    cpu_stats: cpu, precpu_stats: cpu, memory_stats: {}, name: rec.cfg.name, id: rec.cfg.id,
  };
}
