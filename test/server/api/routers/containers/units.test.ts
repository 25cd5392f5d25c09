import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerInspect } from '@berth/runtime/engine';
import { dockerRunCommand, dockerSize } from '../../../../../server/engine/docker-run-command.ts';
import { summarizeStats } from '../../../../../server/engine/stats-summary.ts';
import { LineAssembler, MuxDecoder } from '../../../../../server/engine/streams.ts';
import { createBody } from '../../../../../server/api/routers/containers/create-body.ts';
import { createInput } from '../../../../../server/api/routers/containers/schemas.ts';
import { parseBytes, shellSplit } from '../../../../../server/api/routers/containers/units.ts';

test('sizes and shell words parse as docker run does', () => {
  assert.equal(parseBytes('64m'), 64 * 1024 * 1024);
  assert.equal(parseBytes('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseBytes('512'), 512);
  assert.equal(parseBytes('lots'), null);
  assert.deepEqual(shellSplit(`sh -c 'echo "a b"; exit 3'`), ['sh', '-c', 'echo "a b"; exit 3']);
  assert.deepEqual(shellSplit('echo "x\\"y" z\\ w'), ['echo', 'x"y', 'z w']);
  assert.equal(shellSplit('echo "open'), null);
});

test('the create form becomes an Engine API body; bad fields carry their path', () => {
  const ok = createInput.parse({ image: 'busybox', memory: '64m', ports: [{ hostIp: '127.0.0.1', containerPort: '80' }], env: [{ key: 'A', value: '1' }], command: 'sleep 1' });
  const body = createBody(ok);
  assert.deepEqual(body.Cmd, ['sleep', '1']);
  assert.deepEqual(body.Env, ['A=1']);
  assert.equal(body.HostConfig?.Memory, 64 * 1024 * 1024);
  assert.deepEqual(body.HostConfig?.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  const bad = createInput.safeParse({ image: '', memory: '1k', ports: [{ containerPort: '99999' }], env: [{ key: 'A B', value: '' }], autoRemove: true, restart: 'always' });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.')).sort();
  assert.deepEqual(paths, ['env.0.key', 'image', 'memory', 'ports.0.containerPort', 'restart']);
});

test('mux frames and lines reassemble across chunk boundaries', () => {
  const frame = (s: number, text: string) => {
    const p = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = s;
    h.writeUInt32BE(p.length, 4);
    return Buffer.concat([h, p]);
  };
  const all = Buffer.concat([frame(1, 'hel'), frame(2, 'oops\n'), frame(1, 'lo\nwor')]);
  const got: string[] = [];
  const mux = new MuxDecoder();
  for (let i = 0; i < all.length; i += 5) mux.push(all.subarray(i, i + 5), (s, p) => got.push(`${s}:${p}`));
  assert.deepEqual(got, ['1:hel', '2:oops\n', '1:lo\nwor']);
  const lines = new LineAssembler();
  assert.deepEqual(lines.push(Buffer.from('a\r\nb')), ['a']);
  assert.deepEqual(lines.push(Buffer.from('c\n')), ['bc']);
  assert.equal(lines.flush(), null);
});

test('stats and docker run follow the docker CLI', () => {
  const p = summarizeStats({
    read: '2026-01-01T00:00:01Z',
    cpu_stats: { cpu_usage: { total_usage: 3e9, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: 20e9, online_cpus: 2, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    precpu_stats: { cpu_usage: { total_usage: 2e9, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: 18e9, online_cpus: 2, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: { usage: 10_000, limit: 100_000, stats: { total_inactive_file: 2_000 } },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'Read', value: 5 }, { major: 8, minor: 0, op: 'Write', value: 7 }] },
    pids_stats: { current: 3 },
    networks: { eth0: { rx_bytes: 11, tx_bytes: 13 } },
  } as never);
  assert.equal(p.cpuPercent, 100);
  assert.equal(p.memUsage, 8_000);
  assert.deepEqual([p.blkRead, p.blkWrite, p.netRx, p.netTx, p.pids], [5, 7, 11, 13, 3]);
  const cmd = dockerRunCommand({
    Name: '/web',
    Config: { Image: 'busybox:latest', Env: ['PATH=/bin', 'A=b c'], Cmd: ['sh', '-c', 'echo hi'], Entrypoint: null, Tty: false, OpenStdin: false, User: '', WorkingDir: '', Labels: {} },
    HostConfig: { AutoRemove: false, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, Memory: 67108864, MemorySwap: 134217728, RestartPolicy: { Name: 'no' } },
  } as unknown as ContainerInspect, { Env: ['PATH=/bin'], Cmd: ['sh'] });
  assert.equal(cmd, "docker run -d --name web -e 'A=b c' -p 127.0.0.1:8080:80 --memory 64m busybox:latest sh -c 'echo hi'");
  // Sizes read the way a user types them (docker run --memory 64m), bytes only when no unit divides.
  assert.deepEqual([dockerSize(64 * 1024 ** 2), dockerSize(2 * 1024 ** 3), dockerSize(3072), dockerSize(1000)], ['64m', '2g', '3k', '1000b']);
});

test('an invalid memory value gives one message, not two', () => {
  const r = createInput.safeParse({ image: 'busybox', memory: 'lots' });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues.filter((i) => i.path.join('.') === 'memory').map((i) => i.message), ['Memory: use a size such as 64m, 1g or 512k.']);
  const small = createInput.safeParse({ image: 'busybox', memory: '1m' });
  assert.deepEqual(small.error!.issues.map((i) => i.message), ['Memory: at least 6m, as Docker requires.']);
});

test('log batches mark the backlog sent once the stream goes quiet, and an empty log after a while', async () => {
  const { PassThrough } = await import('node:stream');
  const { logBatches } = await import('../../../../../server/engine/log-batches.ts');
  const ac = new AbortController();
  const backlog = new PassThrough();
  backlog.write('a\nb\n');
  const seen: string[] = [];
  for await (const b of logBatches(backlog, { tty: true, signal: ac.signal, intervalMs: 20, caughtUpAfterMs: 60 })) {
    seen.push(b.caughtUp ? 'caught-up' : b.text);
    if (b.caughtUp) ac.abort();
  }
  assert.deepEqual(seen, ['a\nb', 'caught-up']);
  const empty = new PassThrough();
  const ac2 = new AbortController();
  const t0 = Date.now();
  for await (const b of logBatches(empty, { tty: true, signal: ac2.signal, intervalMs: 20, emptyAfterMs: 200 })) {
    assert.equal(b.caughtUp, true);
    ac2.abort();
  }
  assert.ok(Date.now() - t0 >= 190);
});

test('a container reads back into the create form, and the form makes the same body again', async () => {
  const { formOf, anonymousVolumes } = await import('../../../../../server/api/routers/containers/form-of.ts');
  const c = {
    Name: '/web',
    Config: { Image: 'busybox:latest', Env: ['PATH=/bin', 'A=b c'], Cmd: ['sh', '-c', 'echo "hi"; sleep 1'], Entrypoint: null, Tty: true, OpenStdin: false, User: '', WorkingDir: '/srv', Labels: { tier: 'web' } },
    HostConfig: {
      AutoRemove: false,
      Binds: ['/host/data:/data:ro'],
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
      NetworkMode: 'none',
      Memory: 96 * 1024 * 1024,
      NanoCpus: 5e8,
      PidsLimit: 64,
      RestartPolicy: { Name: 'unless-stopped' },
    },
    Mounts: [
      { Type: 'bind', Source: '/host/data', Destination: '/data' },
      { Type: 'volume', Name: 'a'.repeat(64), Destination: '/cache' },
    ],
  } as unknown as ContainerInspect;
  const form = formOf(c, { Env: ['PATH=/bin'], Cmd: ['sh'] });
  assert.equal(form.command, `sh -c 'echo "hi"; sleep 1'`);
  assert.deepEqual(form.env, [{ key: 'A', value: 'b c' }]);
  assert.equal(form.memory, '96m');
  assert.deepEqual(form.volumes, [{ source: '/host/data', target: '/data', readOnly: true }]);
  assert.deepEqual(anonymousVolumes(c), [{ name: 'a'.repeat(64), target: '/cache' }]);
  const body = createBody(createInput.parse(form));
  assert.deepEqual(body.Cmd, c.Config.Cmd);
  assert.deepEqual(body.Env, ['A=b c']);
  assert.equal(body.HostConfig?.Memory, c.HostConfig.Memory);
  assert.equal(body.HostConfig?.NanoCpus, c.HostConfig.NanoCpus);
  assert.deepEqual(body.HostConfig?.PortBindings, c.HostConfig.PortBindings);
  assert.deepEqual(body.HostConfig?.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
  assert.equal(body.WorkingDir, '/srv');
  assert.equal(body.Tty, true);
});
