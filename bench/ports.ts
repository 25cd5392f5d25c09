// Published-port benchmark (issue 4): 100 MB through a container's published port (the shim's
// userland proxy, into the container's namespace, to nc there) against the same transfer to a
// listener on the host's loopback, with no proxy in between.
import net from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { Berth } from '@berth/runtime';
import { subnetCollision } from '../native-runtime/src/networks/index.ts';
import { fmtMs, median, tempRoot, timeMs, type Row } from './lib.ts';

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_PORT_MB ?? 100) * MB;
const RUNS = Number(process.env.BENCH_PORT_RUNS ?? 3);
const CHUNK = Buffer.alloc(256 * 1024, 0x5a);

/** Sends `size` bytes; resolves with what the receiver answered once it has read everything. */
function send(port: number, size = SIZE): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let sent = 0;
    let answer = '';
    const pump = (): void => {
      while (sent < size) {
        sent += CHUNK.length;
        if (!s.write(CHUNK)) return void s.once('drain', pump);
      }
      s.end();
    };
    s.on('connect', pump);
    s.on('error', reject);
    s.on('data', (d) => (answer += d.toString()));
    s.on('close', () => resolve(answer.trim()));
  });
}

async function loopbackSink(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer((c) => {
    let n = 0;
    c.on('data', (d) => (n += d.length));
    c.on('end', () => c.end(`${n}\n`));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

function freeSubnet(): string {
  for (let i = 0; i < 200; i++) {
    const s = `10.${200 + randomInt(50)}.${randomInt(256)}.0/24`;
    if (!subnetCollision(s)) return s;
  }
  throw new Error('no free /24 for the bench bridge');
}

export async function portBenchmarks(): Promise<Row[]> {
  const t = tempRoot('ports');
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent: `berth-bench-${randomBytes(3).toString('hex')}`, bridge: { name: `bb${randomBytes(4).toString('hex')}`, subnet: freeSubnet() } });
  try {
    // The receiver counts what arrived (`wc -c` per connection), so a transfer is only timed whole.
    const c = await berth.createContainer({ Image: 'busybox', Cmd: ['nc', '-ll', '-p', '80', '-e', 'wc', '-c'], HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } } });
    await c.start();
    const port = Number((await c.inspect()).NetworkSettings.Ports['80/tcp']![0]!.HostPort);
    for (let i = 0; i < 100 && (await send(port, 1).catch(() => '')) !== '1'; i++) await new Promise((r) => setTimeout(r, 50));
    const timed = async (p: number): Promise<number> => {
      let got = '';
      const ms = await timeMs(async () => (got = await send(p)));
      if (got !== String(SIZE)) throw new Error(`the receiver got ${got || 'nothing'} of ${SIZE} bytes`);
      return ms;
    };
    const proxied: number[] = [];
    for (let i = 0; i < RUNS; i++) proxied.push(await timed(port));
    const direct: number[] = [];
    const sink = await loopbackSink();
    for (let i = 0; i < RUNS; i++) direct.push(await timed(sink.port));
    await sink.close();
    const p = median(proxied);
    const d = median(direct);
    const rate = (ms: number) => `${((SIZE / MB) / (ms / 1000)).toFixed(0)} MB/s`;
    return [
      {
        name: `published port: ${SIZE / MB} MB in (median of ${RUNS})`,
        berth: `${fmtMs(p)} (${rate(p)})`,
        baseline: `${fmtMs(d)} (${rate(d)}) direct loopback`,
        ratio: `${(p / d).toFixed(2)}×`,
        target: 'proxy in the shim; no iptables',
      },
    ];
  } finally {
    for (const c of await berth.listContainers({ all: true }).catch(() => [])) await berth.getContainer(c.Id).remove({ force: true }).catch(() => {});
    await berth.close();
    t.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib.ts');
  printTable(await portBenchmarks());
}
