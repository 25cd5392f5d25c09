// Loads a Compose application from its files: parse (yaml), interpolate with the stack's .env,
// validate each file against the Compose Specification schema, canonicalize, resolve `extends`,
// merge in order, apply profiles, and check references (depends_on, networks, volumes, secrets).
// Every problem is collected and reported at once, with file:line:col where the files say it.
import os from 'node:os';
import path from 'node:path';
import { v1ConfigBase, type V1Context } from './config-hash-v1.ts';
import { writtenServiceV1 } from './config-merge-v1.ts';
import { canonicalService, isDict, keyValues, type DeviceLong, type Dict, type PortLong, type VolumeLong } from './canonical.ts';
import { parseDotenv } from './dotenv.ts';
import { issue, StackError, type StackIssue } from './errors.ts';
import { dependencyOrder } from './graph.ts';
import { interpolateTree } from './interpolate.ts';
import { mergeDicts, mergeFiles } from './merge.ts';
import type { DependsCondition, FileMount, NetworkConfig, Project, ServiceConfig, VolumeConfig } from './model.ts';
import { validateCompose } from './schema.ts';
import { SUPPORTED_SERVICE_KEYS, SUPPORTED_TOP_KEYS } from './supported.ts';
import { parseBytes, parseDuration, shellSplit } from './units.ts';
import { issueAt, parseYamlFile, pathText, type YamlFile } from './yaml-file.ts';

export interface ComposeFile {
  name: string;
  content: string;
}

export interface LoadInput {
  /** The project name (stack name); already validated by the caller with PROJECT_NAME. */
  name: string;
  files: ComposeFile[];
  /** Text of the stack's .env file (may be empty). The server's own environment is never used. */
  env: string;
  /** Absolute directory that relative paths resolve against (the stack's folder). */
  workingDir: string;
  profiles?: string[];
  /** Reads a file of the working dir (env_file); null when it does not exist. */
  readFile?: (absPath: string) => string | null;
}

/** Compose v2's project name rule. */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

const CONDITIONS: DependsCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

export function loadProject(input: LoadInput): Project {
  const issues: StackIssue[] = [];
  if (!PROJECT_NAME.test(input.name)) throw new StackError(`invalid project name ${JSON.stringify(input.name)}: lower-case letters, digits, - and _, starting with a letter or digit`);
  if (!input.files.length) throw new StackError('no compose file given');

  const dotenv = parseDotenv(input.env);
  for (const e of dotenv.errors) issues.push(issue(e.message, { file: '.env', line: e.line, col: 1 }));
  const vars = dotenv.env;
  const { parsed, merged } = loadFiles(input.files, vars, input.workingDir, input, issues, []);
  if (issues.length) throw new StackError(issues);

  // After the merge a value's place is in the last file that has the deepest part of its path.
  const locate = (p: (string | number)[], message: string): StackIssue => {
    let best: YamlFile | null = null;
    let depth = 0;
    for (let i = parsed.length - 1; i >= 0; i--) {
      let d = p.length;
      while (d > 0 && !parsed[i]!.file.doc.hasIn(p.slice(0, d))) d--;
      if (d > depth) [best, depth] = [parsed[i]!.file, d];
    }
    return best ? { ...issueAt(best, p.slice(0, depth), message), path: pathText(p) } : issue(message, { path: pathText(p) });
  };

  const warnings: string[] = [];
  for (const k of Object.keys(merged)) {
    if (!SUPPORTED_TOP_KEYS.has(k) && !k.startsWith('x-')) warnings.push(`top-level key "${k}" is not supported by Berth and was ignored`);
  }

  // Profiles: a service with profiles runs only when one of them is enabled.
  const profiles = new Set([...(input.profiles ?? []), ...(vars['COMPOSE_PROFILES'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)]);
  const all = isDict(merged['services']) ? (merged['services'] as Record<string, Dict>) : {};
  const enabled = Object.keys(all).filter((n) => {
    const ps = Array.isArray(all[n]!['profiles']) ? (all[n]!['profiles'] as string[]) : [];
    return ps.length === 0 || ps.some((p) => profiles.has(p) || p === '*' || profiles.has('*'));
  });
  const disabledServices = Object.keys(all).filter((n) => !enabled.includes(n));

  const ctx: ServiceCtx = { input, vars, locate, issues, warnings, topNetworks: isDict(merged['networks']) ? merged['networks'] : {}, topVolumes: isDict(merged['volumes']) ? merged['volumes'] : {}, secrets: isDict(merged['secrets']) ? merged['secrets'] : {}, configs: isDict(merged['configs']) ? merged['configs'] : {} };
  const services: Record<string, ServiceConfig> = {};
  for (const name of enabled) services[name] = toService(name, all[name]!, ctx);
  for (const s of Object.values(services)) {
    if (s.containerName && s.replicas > 1) issues.push(locate(['services', s.name, 'container_name'], `service "${s.name}" sets container_name, so it cannot have ${s.replicas} replicas`));
  }
  if (typeof merged['name'] === 'string' && merged['name'] !== input.name) warnings.push(`the files name the project "${merged['name']}"; the stack's name "${input.name}" is used`);

  // depends_on: every target must be a known, enabled service; no cycles.
  for (const [name, s] of Object.entries(services)) {
    for (const dep of Object.keys(s.dependsOn)) {
      if (services[dep]) continue;
      const where: (string | number)[] = ['services', name, 'depends_on'];
      if (disabledServices.includes(dep)) {
        if (s.dependsOn[dep]!.required) issues.push(locate(where, `service "${name}" depends on service "${dep}", which is not enabled by the active profiles`));
        delete s.dependsOn[dep];
      } else if (s.dependsOn[dep]!.required) issues.push(locate(where, `service "${name}" depends on undefined service "${dep}"`));
      else delete s.dependsOn[dep];
    }
  }
  if (!issues.length) {
    const order = dependencyOrder(services);
    if (!order.ok) issues.push(issue(`dependency cycle in depends_on: ${order.cycle.join(' -> ')}`));
  }

  const networks = projectNetworks(input.name, ctx, services);
  const volumes = projectVolumes(input.name, ctx, services);
  for (const [name, s] of Object.entries(services)) {
    const written = v1Written(parsed, name) ?? all[name]!;
    s.v1Config = v1ConfigBase(written, v1Context(written, s, ctx, networks, volumes));
  }
  if (issues.length) throw new StackError(issues);
  return {
    name: input.name,
    workingDir: input.workingDir,
    configFiles: input.files.map((f) => path.resolve(input.workingDir, f.name)),
    services,
    disabledServices,
    networks,
    volumes,
    warnings,
  };
}

/**
 * Parses, interpolates and validates each file on its own (errors point into that file), brings
 * services to their canonical form, resolves `extends`, adds `include`d projects, and merges the files.
 */
function loadFiles(files: ComposeFile[], vars: Record<string, string>, workingDir: string, input: LoadInput, issues: StackIssue[], chain: string[]): { parsed: { file: YamlFile; value: Dict }[]; merged: Dict } {
  const lookup = (k: string) => vars[k];
  const parsed: { file: YamlFile; value: Dict }[] = [];
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) issues.push(issue(`the file ${f.name} is given twice`, { file: f.name }));
    names.add(f.name);
    const p = parseYamlFile(f.name, f.content);
    issues.push(...p.issues);
    if (!p.file) continue;
    const errs: { path: (string | number)[]; error: string }[] = [];
    const value = interpolateTree(p.file.value, lookup, [], errs) as Dict;
    for (const e of errs) issues.push(issueAt(p.file, e.path, e.error));
    const schemaIssues = validateCompose(p.file, value);
    issues.push(...schemaIssues);
    if (!schemaIssues.length) parsed.push({ file: p.file, value });
  }
  if (issues.length) return { parsed, merged: {} };

  const canon = new Map<string, Dict>();
  for (const { file, value } of parsed) {
    const services: Dict = {};
    for (const [name, svc] of Object.entries(isDict(value['services']) ? value['services'] : {})) {
      const r = canonicalService(isDict(svc) ? svc : {}, (p, m) => issueAt(file, ['services', name, ...p], m));
      issues.push(...r.issues);
      services[name] = r.value;
    }
    const { include: _include, ...rest } = value;
    canon.set(file.name, { ...rest, services });
  }
  for (const { file } of parsed) {
    const services = canon.get(file.name)!['services'] as Dict;
    for (const name of Object.keys(services)) services[name] = resolveExtends(file, name, canon, issues, []);
  }
  for (const { file, value } of parsed) {
    if (Array.isArray(value['include'])) canon.set(file.name, withIncludes(file, value['include'], canon.get(file.name)!, vars, workingDir, input, issues, chain));
  }
  if (issues.length) return { parsed, merged: {} };
  const merged = mergeFiles(
    parsed.map(({ file }) => canon.get(file.name)!),
    parsed.map(({ file }) => file.tags),
  );
  return { parsed, merged };
}

const INCLUDED_KINDS = ['services', 'networks', 'volumes', 'secrets', 'configs'] as const;

/**
 * `include:` (Compose Specification): each entry's files are loaded as a project of their own (paths
 * relative to its project_directory, variables from its env_file under the stack's own), and its
 * resources are added to this file's; a resource both declare is an error at the include.
 */
function withIncludes(file: YamlFile, entries: unknown[], own: Dict, vars: Record<string, string>, workingDir: string, input: LoadInput, issues: StackIssue[], chain: string[]): Dict {
  const out: Dict = { ...own };
  const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  entries.forEach((entry, i) => {
    const e = isDict(entry) ? entry : { path: entry };
    const at = (message: string) => issues.push(issueAt(file, ['include', i], message));
    const paths = list(e['path']).map((p) => path.resolve(workingDir, p));
    if (!paths.length) return at('an include needs a path');
    const dir = typeof e['project_directory'] === 'string' ? path.resolve(workingDir, e['project_directory']) : path.dirname(paths[0]!);
    const cycle = paths.find((p) => chain.includes(p));
    if (cycle) return at(`include cycle: ${[...chain, cycle].map((p) => path.relative(input.workingDir, p)).join(' -> ')}`);
    const files: ComposeFile[] = [];
    for (const p of paths) {
      const content = input.readFile?.(p) ?? null;
      if (content === null) return at(`the included file ${path.relative(input.workingDir, p)} does not exist in the stack folder`);
      files.push({ name: path.relative(input.workingDir, p), content });
    }
    // The included project's own .env (or env_file) gives defaults; the stack's variables win.
    const envFiles = e['env_file'] !== undefined ? list(e['env_file']).map((p) => path.resolve(workingDir, p)) : [path.join(dir, '.env')];
    const own: Record<string, string> = {};
    for (const f of envFiles) {
      const text = input.readFile?.(f) ?? null;
      if (text === null) {
        if (e['env_file'] !== undefined) return at(`the env_file ${path.relative(input.workingDir, f)} does not exist in the stack folder`);
        continue;
      }
      const d = parseDotenv(text);
      for (const err of d.errors) issues.push(issue(err.message, { file: path.relative(input.workingDir, f), line: err.line, col: 1 }));
      Object.assign(own, d.env);
    }
    const sub = loadFiles(files, { ...own, ...vars }, dir, input, issues, [...chain, ...paths]);
    if (issues.length) return;
    const included = absolutePaths(sub.merged, dir);
    for (const kind of INCLUDED_KINDS) {
      const theirs = isDict(included[kind]) ? included[kind] : {};
      const mine = isDict(out[kind]) ? { ...out[kind] } : {};
      for (const [name, v] of Object.entries(theirs)) {
        if (name in mine) at(`${kind.slice(0, -1)} "${name}" is declared here and in the included ${files.map((f) => f.name).join(', ')}`);
        else mine[name] = v;
      }
      if (Object.keys(mine).length) out[kind] = mine;
    }
  });
  return out;
}

/** An included project's relative paths made absolute against its own directory. */
function absolutePaths(d: Dict, dir: string): Dict {
  const abs = (p: unknown) => (typeof p === 'string' && !p.startsWith('~') && !path.isAbsolute(p) ? path.resolve(dir, p) : p);
  const services: Dict = {};
  for (const [name, v] of Object.entries(isDict(d['services']) ? d['services'] : {})) {
    const s = { ...(v as Dict) };
    if (isDict(s['build'])) s['build'] = { ...s['build'], context: abs(s['build']['context'] ?? '.') };
    if (Array.isArray(s['env_file'])) s['env_file'] = s['env_file'].map((e) => (isDict(e) ? { ...e, path: abs(e['path']) } : e));
    if (Array.isArray(s['volumes'])) s['volumes'] = s['volumes'].map((m) => (isDict(m) && m['type'] === 'bind' ? { ...m, source: abs(m['source']) } : m));
    services[name] = s;
  }
  const files = (kind: string) => Object.fromEntries(Object.entries(isDict(d[kind]) ? d[kind] : {}).map(([n, v]) => [n, isDict(v) && typeof v['file'] === 'string' ? { ...v, file: abs(v['file']) } : v]));
  return { ...d, services, secrets: files('secrets'), configs: files('configs') };
}

function resolveExtends(file: YamlFile, name: string, canon: Map<string, Dict>, issues: StackIssue[], chain: string[]): Dict {
  const services = canon.get(file.name)!['services'] as Dict;
  const svc = services[name] as Dict;
  const ext = svc['extends'];
  if (!isDict(ext)) return svc;
  const where = ['services', name, 'extends'];
  const key = `${file.name}:${name}`;
  if (chain.includes(key)) {
    issues.push(issueAt(file, where, `extends cycle: ${[...chain, key].join(' -> ')}`));
    return svc;
  }
  const otherName = typeof ext['file'] === 'string' ? ext['file'] : file.name;
  const other = canon.get(otherName);
  const baseName = String(ext['service']);
  if (!other) {
    issues.push(issueAt(file, where, `extends names the file ${JSON.stringify(otherName)}, which is not one of this stack's compose files`));
    return svc;
  }
  const baseServices = other['services'] as Dict;
  if (!isDict(baseServices[baseName])) {
    issues.push(issueAt(file, where, `cannot extend service "${baseName}": no such service in ${otherName}`));
    return svc;
  }
  // The base is resolved first (it may extend too); its own `extends` is consumed.
  const otherFile = { ...file, name: otherName } as YamlFile;
  const base = resolveExtends(otherName === file.name ? file : otherFile, baseName, canon, issues, [...chain, key]);
  const { extends: _drop, ...rest } = svc;
  const { extends: _baseDrop, ...baseRest } = base;
  const resolved = mergeDicts(baseRest, rest);
  services[name] = resolved;
  return resolved;
}

interface ServiceCtx {
  input: LoadInput;
  vars: Record<string, string>;
  locate: (p: (string | number)[], message: string) => StackIssue;
  issues: StackIssue[];
  warnings: string[];
  topNetworks: Dict;
  topVolumes: Dict;
  secrets: Dict;
  configs: Dict;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const bool = (v: unknown): boolean => v === true || v === 'true' || v === 'True' || v === 1 || v === '1';
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)]);

function command(v: unknown, where: (string | number)[], ctx: ServiceCtx): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(String);
  const words = shellSplit(String(v));
  if (!words) ctx.issues.push(ctx.locate(where, 'unterminated quote'));
  return words ?? [];
}

function resolvePath(p: string, ctx: ServiceCtx): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(ctx.input.workingDir, p);
}

function toService(name: string, s: Dict, ctx: ServiceCtx): ServiceConfig {
  const at = (...p: (string | number)[]) => ['services', name, ...p];
  for (const k of Object.keys(s)) {
    if (!SUPPORTED_SERVICE_KEYS.has(k) && !k.startsWith('x-')) ctx.warnings.push(`service "${name}": "${k}" is not supported by Berth and was ignored`);
  }
  const num = (k: string, p: (string | number)[] = at(k)): number | undefined => {
    const v = s[k];
    if (v === undefined || v === null) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) ctx.issues.push(ctx.locate(p, `${k} must be a number`));
    return n;
  };
  const bytes = (v: unknown, k: string, p: (string | number)[]): number | undefined => {
    if (v === undefined || v === null) return undefined;
    const n = parseBytes(v);
    if (n === null) ctx.issues.push(ctx.locate(p, `${k}: ${JSON.stringify(v)} is not a size (use 512m, 1g, ...)`));
    return n ?? undefined;
  };
  const duration = (v: unknown, k: string, p: (string | number)[]): number | undefined => {
    if (v === undefined || v === null) return undefined;
    const n = parseDuration(v);
    if (n === null) ctx.issues.push(ctx.locate(p, `${k}: ${JSON.stringify(v)} is not a duration (use 10s, 1m30s, ...)`));
    return n ?? undefined;
  };

  // environment: env_file entries in order, then `environment`; a bare name takes the .env value.
  const environment: Record<string, string> = {};
  const envFiles = Array.isArray(s['env_file']) ? (s['env_file'] as Dict[]) : [];
  envFiles.forEach((ef, i) => {
    const file = resolvePath(String(ef['path']), ctx);
    const text = ctx.input.readFile?.(file) ?? null;
    if (text === null) {
      if (ef['required'] !== false && ef['required'] !== 'false') ctx.issues.push(ctx.locate(at('env_file', i), `env file ${String(ef['path'])} not found`));
      return;
    }
    const parsed = parseDotenv(text, (k) => ctx.vars[k]);
    for (const e of parsed.errors) ctx.issues.push(issue(e.message, { file: String(ef['path']), line: e.line, col: 1 }));
    Object.assign(environment, parsed.env);
  });
  for (const [k, v] of Object.entries(keyValues(s['environment']))) {
    if (v !== null) environment[k] = v;
    else if (ctx.vars[k] !== undefined) environment[k] = ctx.vars[k]!;
  }

  let build: ServiceConfig['build'];
  if (isDict(s['build'])) {
    const b = s['build'];
    const context = resolvePath(str(b['context']) ?? '.', ctx);
    const args: Record<string, string> = {};
    for (const [k, v] of Object.entries(keyValues(b['args']))) {
      const val = v ?? ctx.vars[k];
      if (val !== undefined) args[k] = val;
    }
    build = { context, dockerfile: str(b['dockerfile']), args, target: str(b['target']), labels: keyValues(b['labels']) as Record<string, string> };
    for (const k of Object.keys(b)) if (!['context', 'dockerfile', 'args', 'target', 'labels'].includes(k)) ctx.warnings.push(`service "${name}": build.${k} is not supported by Berth and was ignored`);
  }
  if (!s['image'] && !build) ctx.issues.push(ctx.locate(at(), `service "${name}" has neither an image nor a build context`));

  const networkMode = str(s['network_mode']);
  const networks: ServiceConfig['networks'] = {};
  if (!networkMode) {
    const declared = isDict(s['networks']) ? s['networks'] : { default: null };
    for (const [net, cfg] of Object.entries(declared)) {
      if (net !== 'default' && !(net in ctx.topNetworks)) ctx.issues.push(ctx.locate(at('networks'), `service "${name}" refers to undefined network ${net}`));
      const c = isDict(cfg) ? cfg : {};
      networks[net] = { aliases: strList(c['aliases']), ipv4Address: str(c['ipv4_address']), ipv6Address: str(c['ipv6_address']) };
    }
  } else if (s['networks'] !== undefined) {
    ctx.issues.push(ctx.locate(at('network_mode'), `service "${name}" declares both network_mode and networks`));
  }

  const volumes = (Array.isArray(s['volumes']) ? (s['volumes'] as VolumeLong[]) : []).map((v, i) => {
    if (v.type === 'bind' && v.source) return { ...v, source: resolvePath(v.source, ctx) };
    if (v.type === 'tmpfs' && v.tmpfs?.['size'] !== undefined) return { ...v, tmpfs: { ...v.tmpfs, size: bytes(v.tmpfs['size'], 'tmpfs.size', at('volumes', i, 'tmpfs', 'size')) } };
    if (v.type === 'volume' && v.source && !(v.source in ctx.topVolumes)) ctx.issues.push(ctx.locate(at('volumes', i), `service "${name}" refers to undefined volume ${v.source}`));
    return v;
  });

  const dependsOn: ServiceConfig['dependsOn'] = {};
  for (const [dep, cfg] of Object.entries(isDict(s['depends_on']) ? s['depends_on'] : {})) {
    const c = isDict(cfg) ? cfg : {};
    const condition = (str(c['condition']) ?? 'service_started') as DependsCondition;
    if (!CONDITIONS.includes(condition)) ctx.issues.push(ctx.locate(at('depends_on', dep), `unknown condition ${condition}`));
    dependsOn[dep] = { condition, required: c['required'] === undefined ? true : bool(c['required']), restart: bool(c['restart']) };
  }

  let healthcheck: ServiceConfig['healthcheck'];
  if (isDict(s['healthcheck'])) {
    const h = s['healthcheck'];
    const hp = at('healthcheck');
    const test = bool(h['disable']) ? ['NONE'] : typeof h['test'] === 'string' ? ['CMD-SHELL', h['test']] : Array.isArray(h['test']) ? h['test'].map(String) : undefined;
    healthcheck = {
      test,
      interval: duration(h['interval'], 'interval', [...hp, 'interval']),
      timeout: duration(h['timeout'], 'timeout', [...hp, 'timeout']),
      retries: h['retries'] === undefined ? undefined : Number(h['retries']),
      startPeriod: duration(h['start_period'], 'start_period', [...hp, 'start_period']),
      startInterval: duration(h['start_interval'], 'start_interval', [...hp, 'start_interval']),
    };
  }

  const deploy = isDict(s['deploy']) ? s['deploy'] : {};
  const limits = isDict(deploy['resources']) && isDict(deploy['resources']['limits']) ? deploy['resources']['limits'] : {};
  const reservations = isDict(deploy['resources']) && isDict(deploy['resources']['reservations']) ? deploy['resources']['reservations'] : {};
  for (const k of Object.keys(deploy)) if (!['replicas', 'resources', 'restart_policy'].includes(k)) ctx.warnings.push(`service "${name}": deploy.${k} is not supported by Berth and was ignored`);
  const cpus = limits['cpus'] ?? s['cpus'];
  const replicas = s['scale'] !== undefined ? Number(s['scale']) : deploy['replicas'] !== undefined ? Number(deploy['replicas']) : 1;
  if (!Number.isInteger(replicas) || replicas < 0) ctx.issues.push(ctx.locate(at(s['scale'] !== undefined ? 'scale' : 'deploy'), 'replicas must be a whole number, 0 or more'));
  const restartPolicy = isDict(deploy['restart_policy']) ? deploy['restart_policy'] : null;
  const restart = str(s['restart']) ?? (restartPolicy ? ({ none: 'no', 'on-failure': 'on-failure', any: 'always' } as Record<string, string>)[String(restartPolicy['condition'] ?? 'any')] : undefined);

  const fileMounts = (kind: 'secrets' | 'configs'): FileMount[] =>
    (Array.isArray(s[kind]) ? (s[kind] as Dict[]) : []).flatMap((m, i) => {
      const source = String(m['source']);
      const top = (kind === 'secrets' ? ctx.secrets : ctx.configs)[source];
      if (!isDict(top)) {
        ctx.issues.push(ctx.locate(at(kind, i), `service "${name}" refers to undefined ${kind === 'secrets' ? 'secret' : 'config'} ${source}`));
        return [];
      }
      const t = str(m['target']);
      const target = t?.startsWith('/') ? t : kind === 'secrets' ? `/run/secrets/${t ?? source}` : `/${t ?? source}`;
      const mode = m['mode'] === undefined ? undefined : Number(m['mode']);
      if (typeof top['file'] === 'string') return [{ file: resolvePath(top['file'], ctx), target, mode }];
      // From a variable of the stack's .env, or (configs) inline: Berth writes the file at deploy time.
      const made = path.join(ctx.input.workingDir, '.berth', kind, source);
      if (typeof top['environment'] === 'string') {
        const value = ctx.vars[top['environment']];
        if (value === undefined) {
          ctx.issues.push(ctx.locate([kind, source, 'environment'], `${kind === 'secrets' ? 'secret' : 'config'} ${source}: variable ${top['environment']} is not set in the stack's .env`));
          return [];
        }
        return [{ file: made, target, mode, content: value }];
      }
      if (kind === 'configs' && typeof top['content'] === 'string') return [{ file: made, target, mode, content: top['content'] }];
      ctx.issues.push(ctx.locate([kind, source], `${kind} from ${top['external'] ? 'external' : top['content'] ? 'content' : 'this source'} are not supported by Berth; use file:, environment:${kind === 'configs' ? ' or content:' : ''}`));
      return [];
    });

  const devices = Array.isArray(s['devices']) ? (s['devices'] as DeviceLong[]) : [];
  const deviceCgroupRules = strList(s['device_cgroup_rules']);

  const logging = isDict(s['logging']) ? { driver: str(s['logging']['driver']), options: keyValues(s['logging']['options']) as Record<string, string> } : undefined;
  const ulimits = Object.entries(isDict(s['ulimits']) ? s['ulimits'] : {}).map(([n, v]) => (isDict(v) ? { name: n, soft: Number(v['soft']), hard: Number(v['hard']) } : { name: n, soft: Number(v), hard: Number(v) }));

  return {
    name,
    image: str(s['image']),
    build,
    command: command(s['command'], at('command'), ctx),
    entrypoint: command(s['entrypoint'], at('entrypoint'), ctx),
    environment,
    ports: (Array.isArray(s['ports']) ? (s['ports'] as PortLong[]) : []).map((p) => ({ ...p, protocol: p.protocol ?? 'tcp' })),
    expose: strList(s['expose']),
    volumes,
    networks,
    networkMode,
    dependsOn,
    healthcheck,
    restart,
    user: str(s['user']),
    workingDir: str(s['working_dir']),
    hostname: str(s['hostname']),
    domainname: str(s['domainname']),
    containerName: str(s['container_name']),
    labels: keyValues(s['labels']) as Record<string, string>,
    nanoCpus: cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9),
    cpuShares: num('cpu_shares'),
    cpuset: str(s['cpuset']),
    memLimit: bytes(limits['memory'] ?? s['mem_limit'], 'mem_limit', at('mem_limit')),
    memReservation: bytes(reservations['memory'] ?? s['mem_reservation'], 'mem_reservation', at('mem_reservation')),
    memswapLimit: s['memswap_limit'] === -1 || s['memswap_limit'] === '-1' ? -1 : bytes(s['memswap_limit'], 'memswap_limit', at('memswap_limit')),
    pidsLimit: limits['pids'] !== undefined ? Number(limits['pids']) : num('pids_limit'),
    shmSize: bytes(s['shm_size'], 'shm_size', at('shm_size')),
    replicas: Number.isInteger(replicas) && replicas >= 0 ? replicas : 1,
    stopSignal: str(s['stop_signal']),
    stopGracePeriod: duration(s['stop_grace_period'], 'stop_grace_period', at('stop_grace_period')),
    tty: bool(s['tty']),
    stdinOpen: bool(s['stdin_open']),
    init: s['init'] === undefined ? undefined : bool(s['init']),
    privileged: bool(s['privileged']),
    ...(devices.length ? { devices } : {}),
    ...(deviceCgroupRules.length ? { deviceCgroupRules } : {}),
    readOnly: bool(s['read_only']),
    capAdd: strList(s['cap_add']),
    capDrop: strList(s['cap_drop']),
    dns: strList(s['dns']),
    dnsSearch: strList(s['dns_search']),
    extraHosts: Object.entries(keyValues(s['extra_hosts'])).map(([h, ip]) => `${h}:${ip ?? ''}`),
    sysctls: keyValues(s['sysctls']) as Record<string, string>,
    tmpfs: strList(s['tmpfs']),
    securityOpt: strList(s['security_opt']),
    groupAdd: strList(s['group_add']),
    ulimits,
    logging,
    secrets: fileMounts('secrets'),
    configs: fileMounts('configs'),
    pullPolicy: str(s['pull_policy']),
    platform: str(s['platform']),
    profiles: strList(s['profiles']),
    v1Config: {}, // set by loadProject once the network and volume names are known
  };
}

/**
 * The service as docker-compose 1.29 has it before its own processing (config-merge-v1.ts). Null where
 * 1.29 reads the files otherwise than Berth (`include`, `!reset`/`!override`, `extends` of another
 * file): Berth's merged form stands in then (docs/stacks.md).
 */
function v1Written(parsed: { file: YamlFile; value: Dict }[], name: string): Dict | null {
  if (parsed.some((p) => p.value['include'] !== undefined || p.file.tags.length)) return null;
  return writtenServiceV1(
    parsed.map((p) => ({ name: p.file.name, services: isDict(p.value['services']) ? p.value['services'] : {} })),
    name,
  );
}

function v1Context(written: Dict, s: ServiceConfig, ctx: ServiceCtx, networks: Record<string, NetworkConfig>, volumes: Record<string, VolumeConfig>): V1Context {
  // Berth's environment is the env_file values overridden by `environment:`; the rest came from the files.
  const own = new Set(Object.keys(keyValues(written['environment'])));
  const envFileValues = written['env_file'] === undefined ? {} : Object.fromEntries(Object.entries(s.environment).filter(([k]) => !own.has(k)));
  const secretFiles: V1Context['secretFiles'] = {};
  for (const [k, v] of Object.entries(ctx.secrets)) {
    const d = isDict(v) ? v : {};
    secretFiles[k] = { external: !!d['external'], ...(typeof d['file'] === 'string' ? { file: resolvePath(d['file'], ctx) } : {}) };
  }
  return {
    workingDir: ctx.input.workingDir,
    vars: ctx.vars,
    envFileValues,
    networkNames: Object.fromEntries(Object.entries(networks).map(([k, n]) => [k, n.name])),
    volumeNames: Object.fromEntries(Object.entries(volumes).map(([k, v]) => [k, v.name])),
    secretFiles,
  };
}

function projectNetworks(project: string, ctx: ServiceCtx, services: Record<string, ServiceConfig>): Record<string, NetworkConfig> {
  const used = new Set(Object.values(services).flatMap((s) => Object.keys(s.networks)));
  const out: Record<string, NetworkConfig> = {};
  const declared: Dict = { ...ctx.topNetworks };
  if (used.has('default') && !('default' in declared)) declared['default'] = {};
  for (const [key, raw] of Object.entries(declared)) {
    if (!used.has(key)) continue; // Compose creates only the networks some service uses.
    const n = isDict(raw) ? raw : {};
    const external = bool(isDict(n['external']) ? true : n['external']);
    const extName = isDict(n['external']) ? str(n['external']['name']) : undefined;
    const ipam = isDict(n['ipam']) ? { driver: str(n['ipam']['driver']), config: Array.isArray(n['ipam']['config']) ? (n['ipam']['config'] as Dict[]).map((c) => ({ subnet: str(c['subnet']), gateway: str(c['gateway']), ip_range: str(c['ip_range']) })) : [] } : undefined;
    out[key] = {
      name: str(n['name']) ?? extName ?? (external ? key : `${project}_${key}`),
      external,
      driver: str(n['driver']),
      driverOpts: keyValues(n['driver_opts']) as Record<string, string>,
      labels: keyValues(n['labels']) as Record<string, string>,
      internal: bool(n['internal']),
      attachable: bool(n['attachable']),
      enableIpv6: bool(n['enable_ipv6']),
      ipam,
    };
  }
  return out;
}

function projectVolumes(project: string, ctx: ServiceCtx, services: Record<string, ServiceConfig>): Record<string, VolumeConfig> {
  const out: Record<string, VolumeConfig> = {};
  void services;
  for (const [key, raw] of Object.entries(ctx.topVolumes)) {
    const v = isDict(raw) ? raw : {};
    const external = bool(isDict(v['external']) ? true : v['external']);
    const extName = isDict(v['external']) ? str(v['external']['name']) : undefined;
    out[key] = {
      name: str(v['name']) ?? extName ?? (external ? key : `${project}_${key}`),
      external,
      driver: str(v['driver']),
      driverOpts: keyValues(v['driver_opts']) as Record<string, string>,
      labels: keyValues(v['labels']) as Record<string, string>,
    };
  }
  return out;
}
