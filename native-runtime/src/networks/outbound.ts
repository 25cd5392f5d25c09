// Outbound access (off by default, never on in tests): source NAT for a bridge's subnet, so that
// containers given a default route can reach beyond the host. nftables when `nft` exists, else
// iptables. Rules carry a comment naming the bridge, so they are found and removed again.
// WARNING: on hosts with IP forwarding on and a resolver at a private address (docs/runtime.md,
// "Outbound access"), this lets containers reach those addresses.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { internal } from '../errors.js';

const run = promisify(execFile);
const TABLE = 'berth';
const CHAIN = 'postrouting';

const which = (bin: string): string | null =>
  ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => `${d}/${bin}`).find((p) => fs.existsSync(p)) ?? null;

export async function enableNat(bridge: string, subnet: string): Promise<void> {
  const comment = `berth:${bridge}`;
  const nft = which('nft');
  try {
    if (nft) {
      if (await natRuleHandles(nft, comment).then((h) => h.length > 0)) return;
      await run(nft, ['add', 'table', 'ip', TABLE]);
      await run(nft, ['add', 'chain', 'ip', TABLE, CHAIN, '{ type nat hook postrouting priority 100 ; }']);
      await run(nft, ['add', 'rule', 'ip', TABLE, CHAIN, 'ip', 'saddr', subnet, 'oifname', '!=', bridge, 'masquerade', 'comment', `"${comment}"`]);
      return;
    }
    const ipt = which('iptables');
    if (!ipt) throw new Error('neither nft nor iptables is installed');
    const rule = ['-t', 'nat', 'POSTROUTING', '-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE', '-m', 'comment', '--comment', comment];
    const check = await run(ipt, ['-t', 'nat', '-C', ...rule.slice(2)]).then(() => true, () => false);
    if (!check) await run(ipt, ['-t', 'nat', '-A', ...rule.slice(2)]);
  } catch (e) {
    throw internal(`enabling outbound access (NAT) for ${bridge} ${subnet} failed: ${(e as Error).message}`, e);
  }
}

export async function disableNat(bridge: string, subnet: string): Promise<void> {
  const comment = `berth:${bridge}`;
  const nft = which('nft');
  if (nft) {
    for (const h of await natRuleHandles(nft, comment)) await run(nft, ['delete', 'rule', 'ip', TABLE, CHAIN, 'handle', h]).catch(() => {});
    return;
  }
  const ipt = which('iptables');
  if (!ipt) return;
  await run(ipt, ['-t', 'nat', '-D', 'POSTROUTING', '-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE', '-m', 'comment', '--comment', comment]).catch(() => {});
}

async function natRuleHandles(nft: string, comment: string): Promise<string[]> {
  const out = await run(nft, ['-a', 'list', 'chain', 'ip', TABLE, CHAIN]).then((r) => r.stdout, () => '');
  const handles: string[] = [];
  for (const line of out.split('\n')) {
    const m = /comment "([^"]+)".*# handle (\d+)/.exec(line);
    if (m && m[1] === comment) handles.push(m[2]!);
  }
  return handles;
}
