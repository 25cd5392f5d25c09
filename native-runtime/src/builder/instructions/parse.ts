// Parser nodes -> typed instructions and stages, with BuildKit's argument rules and error messages.
// Every error is a DockerfileError naming the instruction's first line.
import { hostArchitecture } from '../../images/types.js';
import { DockerfileError } from '../parser/errors.js';
import { chompHeredocContent, parseDockerfile, parseHeredocWord, type DockerfileNode, type ParseResult } from '../parser/parser.js';
import { BFlags, FlagError, withSuggestion } from './flags.js';
import type {
  AddInstruction,
  AnyInstruction,
  ArgInstruction,
  CopyInstruction,
  FromInstruction,
  HealthcheckConfig,
  Instruction,
  InstructionBase,
  SourceContent,
  Stage,
} from './types.js';

export const INSTRUCTION_NAMES = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;

/** Thrown inside converters; parseInstruction attaches the node's line. */
class InstructionError extends Error {}

const fail = (msg: string): never => {
  throw new InstructionError(msg);
};

/** Converts one node. Throws DockerfileError with the node's line. */
export function parseInstruction(node: DockerfileNode): AnyInstruction {
  try {
    return convert(node);
  } catch (err) {
    if (err instanceof InstructionError || err instanceof FlagError) {
      throw new DockerfileError(node.startLine, err.message, { endLine: node.endLine });
    }
    throw err;
  }
}

function base(node: DockerfileNode): InstructionBase {
  return { line: node.startLine, endLine: node.endLine, column: node.startColumn, original: node.original.trim() };
}

function convert(node: DockerfileNode): AnyInstruction {
  const args = node.next;
  const flags = new BFlags(node.flags);
  const b = base(node);
  const exactlyOne = (cmd: string): string => (args.length === 1 ? args[0]! : fail(`${cmd} requires exactly one argument`));
  const atLeastOne = (cmd: string): void => {
    if (args.length === 0) fail(`${cmd} requires at least one argument`);
  };
  switch (node.instruction) {
    case 'from': {
      let name: string | undefined;
      if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
        name = args[2]!.toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(name)) {
          fail(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
        }
      } else if (args.length !== 1) fail('FROM requires either one or three arguments');
      const platform = flags.addString('platform');
      flags.parse();
      const from: FromInstruction = { kind: 'FROM', ...b, image: args[0]! };
      if (name) from.name = name;
      if (platform.value) {
        from.platform = platform.value;
        if (!platform.value.includes('$')) checkPlatform(platform.value);
      }
      return from;
    }
    case 'run': {
      const network = flags.addString('network', 'default');
      for (const f of ['mount', 'security', 'device']) flags.addStrings(f);
      flags.parse();
      for (const f of ['mount', 'security', 'device']) {
        if (flags.used.includes(f)) fail(`the --${f} option is not supported by this builder`);
      }
      if (!['default', 'none', 'host'].includes(network.value)) fail(`invalid network mode ${JSON.stringify(network.value)}`);
      return {
        kind: 'RUN',
        ...b,
        cmdLine: jsonArgs(node),
        prependShell: !node.json,
        files: node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp, expand: h.expand, fileDescriptor: h.fileDescriptor })),
        network: network.value as 'default' | 'none' | 'host',
        flagsUsed: [...flags.used],
      };
    }
    case 'cmd':
      flags.parse();
      return { kind: 'CMD', ...b, cmdLine: jsonArgs(node), prependShell: !node.json };
    case 'entrypoint': {
      flags.parse();
      const cmd = jsonArgs(node);
      return { kind: 'ENTRYPOINT', ...b, cmdLine: cmd.length ? cmd : null, prependShell: !node.json };
    }
    case 'shell': {
      flags.parse();
      const sh = jsonArgs(node);
      if (sh.length === 0) fail('SHELL requires at least one argument');
      if (!node.json) fail('SHELL requires the arguments to be in JSON form');
      return { kind: 'SHELL', ...b, shell: sh };
    }
    case 'copy': {
      if (args.length < 2) fail('COPY requires at least two arguments, but only one was provided. Destination could not be determined');
      const chown = flags.addString('chown');
      const from = flags.addString('from');
      const chmod = flags.addString('chmod');
      const link = flags.addBool('link');
      const excludes = flags.addStrings('exclude');
      const parents = flags.addBool('parents');
      flags.parse();
      const sd = sourcesAndDest(node, 'COPY');
      const c: CopyInstruction = { kind: 'COPY', ...b, ...sd, link: link.value === 'true', parents: parents.value === 'true', excludes: excludes.values };
      if (from.value) c.from = from.value;
      if (chown.value) c.chown = chown.value;
      if (chmod.value) c.chmod = chmod.value;
      return c;
    }
    case 'add': {
      if (args.length < 2) fail('ADD requires at least two arguments, but only one was provided. Destination could not be determined');
      const chown = flags.addString('chown');
      const chmod = flags.addString('chmod');
      const link = flags.addBool('link');
      const keepGit = flags.addBool('keep-git-dir');
      const checksum = flags.addString('checksum');
      const unpack = flags.addBool('unpack');
      const excludes = flags.addStrings('exclude');
      flags.parse();
      const sd = sourcesAndDest(node, 'ADD');
      const a: AddInstruction = {
        kind: 'ADD',
        ...b,
        ...sd,
        link: link.value === 'true',
        excludes: excludes.values,
        urlSources: sd.sources.filter(isURLSource),
      };
      if (chown.value) a.chown = chown.value;
      if (chmod.value) a.chmod = chmod.value;
      if (checksum.value) a.checksum = checksum.value;
      if (keepGit.used) a.keepGitDir = keepGit.value === 'true';
      if (unpack.used) a.unpack = unpack.value === 'true';
      return a;
    }
    case 'env':
    case 'label': {
      const cmd = node.instruction.toUpperCase();
      flags.parse();
      if (args.length === 0) fail(`${cmd} requires at least one argument`);
      if (args.length % 3 !== 0) fail(`Bad input to ${cmd}, too many arguments`);
      const kvs = [];
      for (let i = 0; i < args.length; i += 3) {
        if (args[i]!.length === 0) fail(`${cmd} names can not be blank`);
        kvs.push(args[i + 2] === '' ? { key: args[i]!, value: args[i + 1]!, noDelim: true } : { key: args[i]!, value: args[i + 1]! });
      }
      return cmd === 'ENV' ? { kind: 'ENV', ...b, env: kvs } : { kind: 'LABEL', ...b, labels: kvs };
    }
    case 'arg': {
      atLeastOne('ARG');
      const defs = args.map((a) => {
        const i = a.indexOf('=');
        if (i < 0) return { key: a };
        if (i === 0) fail('ARG names can not be blank');
        return { key: a.slice(0, i), value: a.slice(i + 1) };
      });
      return { kind: 'ARG', ...b, args: defs };
    }
    case 'workdir': {
      const p = exactlyOne('WORKDIR');
      flags.parse();
      return { kind: 'WORKDIR', ...b, path: p };
    }
    case 'user': {
      const u = exactlyOne('USER');
      flags.parse();
      return { kind: 'USER', ...b, user: u };
    }
    case 'maintainer': {
      const m = exactlyOne('MAINTAINER');
      flags.parse();
      return { kind: 'MAINTAINER', ...b, maintainer: m };
    }
    case 'stopsignal':
      return { kind: 'STOPSIGNAL', ...b, signal: exactlyOne('STOPSIGNAL') };
    case 'expose':
      atLeastOne('EXPOSE');
      flags.parse();
      return { kind: 'EXPOSE', ...b, ports: [...args].sort() };
    case 'volume': {
      atLeastOne('VOLUME');
      flags.parse();
      const vols = args.map((v) => v.trim());
      if (vols.some((v) => v === '')) fail('VOLUME specified can not be an empty string');
      return { kind: 'VOLUME', ...b, volumes: vols };
    }
    case 'healthcheck':
      return { kind: 'HEALTHCHECK', ...b, health: healthcheck(node, flags) };
    case 'onbuild': {
      atLeastOne('ONBUILD');
      flags.parse();
      const trigger = args[0]!.trim().toUpperCase();
      if (trigger === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'MAINTAINER' || trigger === 'FROM') fail(`${trigger} isn't allowed as an ONBUILD trigger`);
      if (node.sub && !(INSTRUCTION_NAMES as readonly string[]).includes(trigger)) {
        fail(withSuggestion(`unknown instruction: ${node.sub.command}`, node.sub.command, INSTRUCTION_NAMES, false));
      }
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of node.heredocs) expression += '\n' + h.content + h.name;
      return { kind: 'ONBUILD', ...b, expression };
    }
    default:
      return fail(withSuggestion(`unknown instruction: ${node.command}`, node.command, INSTRUCTION_NAMES, false));
  }
}

/** handleJSONArgs: exec form as is; shell form joined into one command line. */
function jsonArgs(node: DockerfileNode): string[] {
  if (node.next.length === 0) return [];
  if (node.json) return [...node.next];
  return [node.next.join(' ')];
}

function sourcesAndDest(node: DockerfileNode, cmd: string): { sources: string[]; contents: SourceContent[]; dest: string } {
  const srcs = node.next.slice(0, -1);
  const dest = node.next[node.next.length - 1]!;
  if (parseHeredocWord(dest)) fail(`${cmd} cannot accept a heredoc as a destination`);
  const docs = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const contents: SourceContent[] = [];
  for (const s of srcs) {
    const h = node.json ? null : parseHeredocWord(s);
    if (h) {
      const doc = docs.get(h.name);
      let data = doc?.content ?? '';
      if (h.chomp) data = chompHeredocContent(data);
      contents.push({ path: h.name, data, expand: h.expand });
    } else sources.push(s);
  }
  return { sources, contents, dest };
}

export function isURLSource(s: string): boolean {
  return /^https?:\/\//i.test(s) || /^git@/.test(s) || /^git:\/\//.test(s);
}

function healthcheck(node: DockerfileNode, flags: BFlags): HealthcheckConfig {
  const args = node.next;
  if (args.length === 0) fail('HEALTHCHECK requires at least one argument');
  const typ = args[0]!.toUpperCase();
  const rest = args.slice(1);
  if (typ === 'NONE') {
    if (rest.length) fail('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  const interval = flags.addString('interval');
  const timeout = flags.addString('timeout');
  const startPeriod = flags.addString('start-period');
  const startInterval = flags.addString('start-interval');
  const retries = flags.addString('retries');
  flags.parse();
  if (typ !== 'CMD') fail(`Unknown type ${JSON.stringify(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = rest.length === 0 ? [] : node.json ? rest : [rest.join(' ')];
  if (cmd.length === 0) fail('Missing command after HEALTHCHECK CMD');
  const h: HealthcheckConfig = { Test: [node.json ? 'CMD' : 'CMD-SHELL', ...cmd] };
  h.Interval = optInterval('interval', interval.value);
  h.Timeout = optInterval('timeout', timeout.value);
  h.StartPeriod = optInterval('start-period', startPeriod.value);
  h.StartInterval = optInterval('start-interval', startInterval.value);
  if (retries.value !== '') {
    if (!/^[+-]?\d+$/.test(retries.value)) fail(`strconv.ParseInt: parsing ${JSON.stringify(retries.value)}: invalid syntax`);
    const n = Number(retries.value);
    if (n < 0) fail(`--retries cannot be negative (${n})`);
    h.Retries = n;
  } else h.Retries = 0;
  return h;
}

function optInterval(name: string, s: string): number {
  if (s === '') return 0;
  const d = parseGoDuration(s);
  if (d === 0) return 0;
  if (d < 1_000_000) fail(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  return d;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number {
  const orig = s;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') fail(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.') fail(`time: invalid duration ${JSON.stringify(orig)}`);
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) fail(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const unit = UNITS[u![0]];
    if (unit === undefined) fail(`time: unknown unit ${JSON.stringify(u![0])} in duration ${JSON.stringify(orig)}`);
    s = s.slice(u![0].length);
    total += Number(m[1] || '0') * unit! + (m[2] ? Math.round(Number('0.' + m[2]) * unit!) : 0);
  }
  return neg ? -total : total;
}

/** Normalizes `os/arch[/variant]` and refuses anything but the host's platform. */
export function checkPlatform(value: string): string {
  const host = `linux/${hostArchitecture()}`;
  const parts = value.toLowerCase().split('/');
  const os = parts[0] ?? '';
  let arch = parts[1] ?? hostArchitecture();
  if (arch === 'x86_64' || arch === 'x86-64') arch = 'amd64';
  if (arch === 'aarch64') arch = 'arm64';
  const norm = `${os}/${arch}`;
  if (norm !== host) {
    fail(`platform ${JSON.stringify(value)} is not supported: this builder only builds for the host platform ${host}`);
  }
  return norm;
}

export interface ParsedDockerfile {
  parse: ParseResult;
  /** ARGs before the first FROM. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
}

/** Converts a parse result into stages; commands before the first FROM (other than ARG) are an error. */
export function parseStages(parse: ParseResult): ParsedDockerfile {
  const stages: Stage[] = [];
  const metaArgs: ArgInstruction[] = [];
  for (const node of parse.nodes) {
    const ins = parseInstruction(node);
    if (ins.kind === 'FROM') {
      const s: Stage = { index: stages.length, base: ins.image, from: ins, commands: [] };
      if (ins.name) s.name = ins.name;
      if (ins.platform) s.platform = ins.platform;
      stages.push(s);
      continue;
    }
    if (stages.length === 0) {
      if (ins.kind === 'ARG') {
        metaArgs.push(ins);
        continue;
      }
      throw new DockerfileError(node.startLine, 'no build stage in current context', { endLine: node.endLine });
    }
    stages[stages.length - 1]!.commands.push(ins as Instruction);
  }
  if (stages.length === 0) throw new DockerfileError(parse.nodes[0]?.startLine ?? 0, 'no build stage in current context');
  return { parse, metaArgs, stages };
}

/** parseDockerfile + parseStages. */
export function parseDockerfileStages(text: string | Buffer): ParsedDockerfile {
  return parseStages(parseDockerfile(text));
}

/**
 * ONBUILD triggers of a base image (its config's OnBuild), parsed as instructions to run at the start
 * of the stage that uses it, with Docker's restrictions. Errors carry the FROM line.
 */
export function parseOnbuildTriggers(triggers: readonly string[], fromLine: number, escapeToken = '\\'): Instruction[] {
  const out: Instruction[] = [];
  for (const t of triggers) {
    const text = (escapeToken === '`' ? '# escape=`\n' : '') + t + '\n';
    let parsed: ParseResult;
    try {
      parsed = parseDockerfile(text);
    } catch (err) {
      if (err instanceof DockerfileError) throw new DockerfileError(fromLine, `failed to parse ONBUILD trigger: ${err.detail}`);
      throw err;
    }
    for (const node of parsed.nodes) {
      const kind = node.instruction.toUpperCase();
      if (kind === 'ONBUILD' || kind === 'FROM' || kind === 'MAINTAINER') {
        throw new DockerfileError(fromLine, `${kind} isn't allowed as an ONBUILD trigger`);
      }
      let ins: AnyInstruction;
      try {
        ins = parseInstruction(node);
      } catch (err) {
        if (err instanceof DockerfileError) throw new DockerfileError(fromLine, err.detail);
        throw err;
      }
      ins.line = fromLine;
      ins.endLine = fromLine;
      ins.column = 1;
      out.push(ins as Instruction);
    }
  }
  return out;
}
