// `docker import --change` / `docker commit --change`: Dockerfile instructions applied to a config.
import { ImageError } from './errors.js';
import type { ContainerConfig } from './types.js';

export const CHANGE_COMMANDS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'USER', 'WORKDIR', 'LABEL', 'VOLUME', 'STOPSIGNAL', 'ONBUILD'] as const;

/** Applies each change line to a copy of `config`; unknown instructions are refused, as Docker does. */
export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(config);
  for (const line of changes) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(trimmed)!;
    const cmd = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    switch (cmd) {
      case 'CMD':
        c.Cmd = commandForm(rest);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = rest === '' ? null : commandForm(rest);
        break;
      case 'ENV':
        for (const [k, v] of keyValues(rest, 'ENV')) {
          const env = (c.Env ?? []).filter((e) => e.split('=')[0] !== k);
          env.push(`${k}=${v}`);
          c.Env = env;
        }
        break;
      case 'LABEL':
        for (const [k, v] of keyValues(rest, 'LABEL')) c.Labels = { ...(c.Labels ?? {}), [k]: v };
        break;
      case 'EXPOSE':
        for (const p of words(rest)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw new ImageError('INVALID', `invalid port in EXPOSE: ${p}`);
          const key = p.includes('/') ? p.toLowerCase() : `${p}/tcp`;
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}), [key]: {} };
        }
        break;
      case 'USER':
        c.User = single(rest, cmd);
        break;
      case 'WORKDIR': {
        const dir = single(rest, cmd);
        c.WorkingDir = dir.startsWith('/') ? dir : `${c.WorkingDir || '/'}${(c.WorkingDir || '/').endsWith('/') ? '' : '/'}${dir}`;
        break;
      }
      case 'VOLUME': {
        const vols = rest.startsWith('[') ? jsonArray(rest, cmd) : words(rest);
        for (const v of vols) c.Volumes = { ...(c.Volumes ?? {}), [v]: {} };
        break;
      }
      case 'STOPSIGNAL':
        c.StopSignal = single(rest, cmd);
        break;
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), rest];
        break;
      default:
        throw new ImageError('INVALID', `${m[1]} is not a valid change command`);
    }
  }
  return c;
}

function commandForm(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      return jsonArray(rest, 'CMD');
    } catch {
      // Docker falls back to shell form when the JSON does not parse.
    }
  }
  return ['/bin/sh', '-c', rest];
}

function jsonArray(rest: string, cmd: string): string[] {
  const v: unknown = JSON.parse(rest);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ImageError('INVALID', `${cmd} expects a JSON array of strings`);
  return v as string[];
}

function single(rest: string, cmd: string): string {
  const w = words(rest);
  if (w.length !== 1) throw new ImageError('INVALID', `${cmd} requires exactly one argument`);
  return w[0]!;
}

/** Shell-like word splitting with quotes and backslash escapes (enough for Dockerfile key=value forms). */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new ImageError('INVALID', `unterminated quote in ${JSON.stringify(s)}`);
  if (inWord) out.push(cur);
  return out;
}

/** `k=v k2="v 2"`, or the legacy single pair `k v w` (value = the rest). */
function keyValues(rest: string, cmd: string): Array<[string, string]> {
  const w = words(rest);
  if (!w.length) throw new ImageError('INVALID', `${cmd} requires at least one argument`);
  if (!w[0]!.includes('=')) {
    if (w.length < 2) throw new ImageError('INVALID', `${cmd} requires a value for ${w[0]}`);
    const key = w[0]!;
    return [[key, rest.slice(rest.indexOf(key) + key.length).trim()]];
  }
  return w.map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new ImageError('INVALID', `${cmd} expects key=value, got ${JSON.stringify(kv)}`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  });
}
