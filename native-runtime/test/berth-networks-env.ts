// Set-up for the network tests: a Berth whose default bridge has a unique name and a /24 that no
// host route overlaps, a free loopback port, and a check that nothing of the test stays on the host.
import fs from 'node:fs';
import net from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { Berth } from '../src/index.ts';
import { subnetCollision } from '../src/networks/index.ts';
import { makeEnv, type TestEnv } from './berth-helpers.ts';

export interface NetEnv extends TestEnv {
  bridge: string;
  subnet: string;
  /** The Berth of this root with the test's bridge options. */
  nb: Berth;
  openNet(): Berth;
}

export function freeSubnet24(): string {
  for (let i = 0; i < 200; i++) {
    const s = `10.${200 + randomInt(50)}.${randomInt(256)}.0/24`;
    if (!subnetCollision(s)) return s;
  }
  throw new Error('no free /24 for the test bridge');
}

export function makeNetEnv(tag: string): NetEnv {
  const env = makeEnv(tag);
  const bridge = `bt${tag.slice(0, 4)}${randomBytes(3).toString('hex')}`;
  const subnet = freeSubnet24();
  const opened: Berth[] = [];
  const openNet = (): Berth => {
    const b = new Berth({ root: env.root, run: env.run, cgroupParent: env.cgroupParent, bridge: { name: bridge, subnet } });
    opened.push(b);
    return b;
  };
  const nb = openNet();
  const cleanup = env.cleanup;
  return {
    ...env,
    bridge,
    subnet,
    nb,
    openNet,
    async cleanup() {
      for (const b of opened) await b.close().catch(() => {});
      // The default cleanup opens the root again (the persisted bridge name is reused), removes the
      // containers and closes it: close() deletes the idle bridge.
      await cleanup();
      if (linkExists(bridge)) throw new Error(`bridge ${bridge} was left on the host`);
    },
  };
}

export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** GET http://127.0.0.1:port/path with a plain socket (no proxies, loopback only). */
export function httpGet(port: number, pathName = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
    sock.on('connect', () => sock.write(`GET ${pathName} HTTP/1.0\r\nHost: x\r\n\r\n`));
    sock.on('data', (d) => (data += d.toString()));
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

export const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];
