// Per-stage variable substitution, as Docker's classic builder does it at dispatch time: the
// environment is the stage's config Env plus the ARGs allowed in the stage (an ENV of the same name
// wins). RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD and MAINTAINER are not expanded.
import { hostArchitecture } from '../../images/types.js';
import { DockerfileError } from '../parser/errors.js';
import { envFromList, ShellLex, ShellLexError, type EnvGetter } from '../parser/shell-lex.js';
import type { BuildArgs } from './build-args.js';
import { envGetter } from './env-index.js';
import { checkPlatform } from './parse.js';
import type { AnyInstruction, FromInstruction, Instruction, KeyValue } from './types.js';

/** The variables visible to a stage's instructions: config Env + allowed build args. */
export function dispatchEnv(configEnv: readonly string[] | null | undefined, args: BuildArgs): EnvGetter {
  return envGetter(configEnv ?? [], args.allAllowed());
}

function wrap<T>(ins: { line: number; endLine: number }, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ShellLexError) throw new DockerfileError(ins.line, err.message, { endLine: ins.endLine });
    throw err;
  }
}

/**
 * A copy of `ins` with its words substituted. EXPOSE words may split into several
 * (`EXPOSE $PORTS` with PORTS="80 443"). Instructions that are not expanded are returned as is.
 */
export function expandInstruction<T extends Instruction>(ins: T, env: EnvGetter, escapeToken = '\\'): T {
  const lex = new ShellLex(escapeToken);
  const w = (s: string): string => lex.processWord(s, env);
  const kv = (list: KeyValue[]): KeyValue[] => list.map((p) => ({ ...p, key: w(p.key), value: w(p.value) }));
  return wrap(ins, () => {
    const c = structuredClone(ins) as Instruction;
    switch (c.kind) {
      case 'ENV':
        c.env = kv(c.env);
        break;
      case 'LABEL':
        c.labels = kv(c.labels);
        break;
      case 'ARG':
        c.args = c.args.map((a) => (a.value === undefined ? { key: w(a.key) } : { key: w(a.key), value: w(a.value) }));
        break;
      case 'COPY':
      case 'ADD':
        if (c.chown !== undefined) c.chown = w(c.chown);
        if (c.chmod !== undefined) c.chmod = w(c.chmod);
        if (c.kind === 'ADD' && c.checksum !== undefined) c.checksum = w(c.checksum);
        c.sources = c.sources.map(w);
        c.dest = w(c.dest);
        break;
      case 'WORKDIR':
        c.path = w(c.path);
        break;
      case 'USER':
        c.user = w(c.user);
        break;
      case 'VOLUME':
        c.volumes = c.volumes.map(w);
        break;
      case 'STOPSIGNAL':
        c.signal = w(c.signal);
        break;
      case 'EXPOSE':
        c.ports = c.ports.flatMap((p) => lex.processWords(p, env));
        break;
      default:
        break;
    }
    return c as T;
  });
}

/** Heredoc bodies of COPY/ADD whose delimiter was unquoted are expanded too (ExpandRaw). */
export function expandSourceContents<T extends Instruction>(ins: T, env: EnvGetter, escapeToken = '\\'): T {
  if (ins.kind !== 'COPY' && ins.kind !== 'ADD') return ins;
  const lex = new ShellLex(escapeToken, { rawQuotes: true, skipProcessQuotes: true });
  return wrap(ins, () => {
    const c = structuredClone(ins) as T & { contents: { data: string; expand: boolean }[] };
    for (const sc of c.contents) if (sc.expand) sc.data = lex.processWord(sc.data, env);
    return c;
  });
}

export interface ResolvedFrom {
  /** Image reference, `scratch`, or the name of an earlier stage. */
  image: string;
  platform?: string;
}

/** FROM's image and --platform expanded with the meta args (and BUILDPLATFORM/TARGETPLATFORM). */
export function resolveFrom(from: FromInstruction, args: BuildArgs, escapeToken = '\\'): ResolvedFrom {
  const lex = new ShellLex(escapeToken);
  const host = `linux/${hostArchitecture()}`;
  const vars = [...args.allMeta()].map(([k, v]) => `${k}=${v}`);
  const env = envFromList(['BUILDPLATFORM=' + host, 'TARGETPLATFORM=' + host, ...vars]);
  return wrap(from, () => {
    const image = lex.processWord(from.image, env);
    if (image === '') throw new DockerfileError(from.line, `base name (${from.image}) should not be blank`);
    const out: ResolvedFrom = { image };
    if (from.platform) out.platform = checkPlatformAt(from, lex.processWord(from.platform, env));
    return out;
  });
}

function checkPlatformAt(from: FromInstruction, value: string): string {
  try {
    return checkPlatform(value);
  } catch (err) {
    if (err instanceof DockerfileError) throw err;
    throw new DockerfileError(from.line, (err as Error).message);
  }
}

/**
 * EXPOSE port specs -> ExposedPorts keys: `80` -> `80/tcp`, `8000-8002/udp` -> three keys.
 * Throws an Error with Docker's wording for a bad spec.
 */
export function exposedPortKeys(ports: readonly string[]): string[] {
  const out: string[] = [];
  for (const spec of ports) {
    let raw = spec;
    let proto = 'tcp';
    const slash = spec.lastIndexOf('/');
    if (slash >= 0) {
      raw = spec.slice(0, slash);
      proto = spec.slice(slash + 1).toLowerCase() || 'tcp';
    }
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
    // ip:hostPort:containerPort forms: only the container port matters for EXPOSE
    const container = raw.split(':').pop()!;
    const m = /^(\d+)(?:-(\d+))?$/.exec(container);
    if (!m) throw new Error(`invalid containerPort: ${container}`);
    const start = Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : start;
    if (start > 65535 || end > 65535) throw new Error(`invalid containerPort: ${container}`);
    if (end < start) throw new Error(`invalid range specified for container port: ${container}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

export type { AnyInstruction };
