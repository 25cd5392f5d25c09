// What each instruction does to the image config, and the Cmd Docker's classic builder records for
// it (history created_by and the cache key). Pure: the executor does the filesystem work (RUN, COPY,
// ADD, WORKDIR's mkdir) and the commits.
import path from 'node:path';
import type { ContainerConfig } from '../../images/types.js';
import {
  argComment,
  cmdComment,
  createdByOf,
  entrypointComment,
  envComment,
  exposeComment,
  healthcheckComment,
  labelComment,
  maintainerComment,
  nopCmd,
  nopCmdString,
  onbuildComment,
  runSaveCmd,
  shellComment,
  shellOf,
  stopSignalComment,
  userComment,
  volumeComment,
  workdirComment,
} from '../created-by.js';
import { DockerfileError } from '../parser/errors.js';
import type { BuildArgs } from './build-args.js';
import { envSet } from './env-index.js';
import { exposedPortKeys } from './expand.js';
import type { HealthcheckConfig, Instruction, RunInstruction } from './types.js';

/** The per-stage dispatch state the classic builder keeps. */
export interface StageState {
  config: ContainerConfig;
  /** A CMD was set in this stage (ENTRYPOINT then keeps it; otherwise ENTRYPOINT clears Cmd). */
  cmdSet: boolean;
  /** MAINTAINER, written as the image's author. */
  maintainer?: string;
  args: BuildArgs;
}

export interface MetadataResult {
  /** The step's Cmd for history/cache (`[...shell, "#(nop) ", "ENV X=1"]`). */
  commentCmd: string[];
  createdBy: string;
}

const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
]);

/** Validates a STOPSIGNAL value like moby/sys/signal.ParseSignal. */
export function checkSignal(s: string): void {
  if (/^\d+$/.test(s)) {
    if (Number(s) === 0 || Number(s) > 64) throw new Error(`Invalid signal: ${s}`);
    return;
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(name) || /^RTMIN(\+\d+)?$/.test(name) || /^RTMAX(-\d+)?$/.test(name)) return;
  throw new Error(`Invalid signal: ${s}`);
}

/** normalizeWorkdir: relative paths join the current WORKDIR; the result is cleaned and absolute. */
export function normalizeWorkdir(current: string, requested: string): string {
  if (requested === '') throw new Error('cannot normalize nothing');
  const joined = requested.startsWith('/') ? requested : path.posix.join('/', current || '/', requested);
  return path.posix.normalize(joined).replace(/(.)\/$/, '$1');
}

function healthForConfig(h: HealthcheckConfig): NonNullable<ContainerConfig['Healthcheck']> {
  // omitempty: zero durations and retries are left out of the JSON
  const out: Record<string, unknown> = {};
  if (h.Test && h.Test.length) out.Test = [...h.Test];
  if (h.Interval) out.Interval = h.Interval;
  if (h.Timeout) out.Timeout = h.Timeout;
  if (h.StartPeriod) out.StartPeriod = h.StartPeriod;
  if (h.StartInterval) out.StartInterval = h.StartInterval;
  if (h.Retries) out.Retries = h.Retries;
  return out as NonNullable<ContainerConfig['Healthcheck']>;
}

/**
 * Applies a metadata instruction (already expanded) to state.config and returns the recorded Cmd.
 * WORKDIR is included (config + comment; the executor creates the directory). RUN, COPY and ADD are
 * not metadata: use runCommand / copyComment.
 */
export function applyMetadata(state: StageState, ins: Instruction, notes?: (line: string) => void): MetadataResult {
  const c = state.config;
  const shell = shellOf(c);
  let comment: string;
  let cmd: string[] | null = null;
  try {
    switch (ins.kind) {
      case 'ENV': {
        c.Env = envSet(c.Env ?? [], ins.env);
        comment = envComment(ins.env);
        break;
      }
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}) };
        for (const { key, value } of ins.labels) c.Labels[key] = value;
        comment = labelComment(ins.labels);
        break;
      case 'MAINTAINER':
        state.maintainer = ins.maintainer;
        comment = maintainerComment(ins.maintainer);
        break;
      case 'ARG':
        for (const a of ins.args) state.args.addArg(a.key, a.value);
        comment = argComment(ins.args);
        break;
      case 'USER':
        c.User = ins.user;
        comment = userComment(ins.user);
        break;
      case 'EXPOSE': {
        const keys = exposedPortKeys(ins.ports);
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const k of keys) c.ExposedPorts[k] = {};
        comment = exposeComment(ins.ports);
        break;
      }
      case 'VOLUME':
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of ins.volumes) {
          if (v === '') throw new Error('VOLUME specified can not be an empty string');
          c.Volumes[v] = {};
        }
        comment = volumeComment(ins.volumes);
        break;
      case 'STOPSIGNAL':
        checkSignal(ins.signal);
        c.StopSignal = ins.signal;
        comment = stopSignalComment(ins.signal);
        break;
      case 'CMD': {
        const v = ins.prependShell && ins.cmdLine.length ? [...shell, ...ins.cmdLine] : [...ins.cmdLine];
        c.Cmd = v;
        delete c.ArgsEscaped;
        comment = cmdComment(v);
        if (ins.cmdLine.length) state.cmdSet = true;
        break;
      }
      case 'ENTRYPOINT': {
        const v = ins.cmdLine === null ? null : ins.prependShell ? [...shell, ...ins.cmdLine] : [...ins.cmdLine];
        c.Entrypoint = v;
        delete c.ArgsEscaped;
        if (!state.cmdSet) c.Cmd = null;
        comment = entrypointComment(v);
        break;
      }
      case 'SHELL':
        c.Shell = [...ins.shell];
        comment = shellComment(ins.shell);
        break;
      case 'HEALTHCHECK': {
        const old = c.Healthcheck?.Test;
        if (old && old.length && old[0] !== 'NONE') notes?.(`Note: overriding previous HEALTHCHECK: [${old.join(' ')}]`);
        c.Healthcheck = healthForConfig(ins.health);
        comment = healthcheckComment(ins.health);
        break;
      }
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
        comment = onbuildComment(ins.expression);
        break;
      case 'WORKDIR': {
        c.WorkingDir = normalizeWorkdir(c.WorkingDir, ins.path);
        cmd = [];
        comment = workdirComment(c.WorkingDir);
        break;
      }
      default:
        throw new Error(`${ins.kind} is not a metadata instruction`);
    }
  } catch (err) {
    if (err instanceof DockerfileError) throw err;
    throw new DockerfileError(ins.line, (err as Error).message, { endLine: ins.endLine });
  }
  // The comment is recorded with the shell of the config after the step (SHELL's own step included).
  const after = shellOf(c);
  const commentCmd = cmd ? nopCmdString(after, comment) : nopCmd(after, comment);
  return { commentCmd, createdBy: createdByOf(commentCmd) };
}

export interface RunCommand {
  /** argv to execute in the step container. */
  argv: string[];
  /** Env of the step container: config Env + the build args in scope. */
  env: string[];
  /** Cmd recorded in history and used for the cache key (with the `|N K=V` prefix). */
  saveCmd: string[];
  createdBy: string;
  /**
   * A heredoc script with a shebang (`RUN <<EOF` + `#!/usr/bin/env python3`): the executor writes
   * `data` to a temporary file, makes it executable and runs it (argv is then [path placeholder]).
   */
  script?: { name: string; data: string };
}

/** The command a RUN step executes and records. Heredocs follow BuildKit's rules. */
export function runCommand(state: StageState, ins: RunInstruction): RunCommand {
  const c = state.config;
  const shell = shellOf(c);
  let argv: string[];
  let script: RunCommand['script'];
  if (!ins.prependShell) {
    argv = [...ins.cmdLine];
  } else if (ins.files.length > 0) {
    const line = ins.cmdLine[0] ?? '';
    const single = ins.files.length === 1 ? ins.files[0]! : null;
    const heredocOnly = single !== null && /^\d*<<-?\s*\S+$/.test(line.trim());
    if (heredocOnly && single) {
      const data = single.chomp ? single.data.replace(/^\t+/gm, '') : single.data;
      if (data.startsWith('#!')) {
        script = { name: single.name, data };
        argv = [`/dev/pipes/${single.name}`];
      } else argv = [...shell, data];
    } else {
      // The shell itself handles the heredocs: hand it the line followed by the bodies.
      let text = line;
      for (const f of ins.files) text += '\n' + f.data + f.name;
      argv = [...shell, text];
    }
  } else {
    argv = [...shell, ...ins.cmdLine];
  }
  const buildArgEnv = state.args.filterAllowed(c.Env ?? []);
  const saveCmd = runSaveCmd(argv, buildArgEnv, (k) => state.args.isReferencedOrNotBuiltin(k));
  const out: RunCommand = { argv, env: [...(c.Env ?? []), ...buildArgEnv], saveCmd, createdBy: createdByOf(saveCmd) };
  if (script) out.script = script;
  return out;
}
