// Typed Dockerfile instructions, converted from parser nodes. Values are as written (before variable
// substitution); expand.ts substitutes them per stage at dispatch time, as Docker does.
import type { Heredoc } from '../parser/parser.js';

export interface InstructionBase {
  /** 1-based first and last line of the instruction in the Dockerfile (heredoc bodies included). */
  line: number;
  endLine: number;
  /** 1-based column where the instruction starts on `line` (1 for steps Berth adds). */
  column: number;
  /** The instruction's logical source line, as Docker prints it in "Step N/M : …". */
  original: string;
}

export interface KeyValue {
  key: string;
  value: string;
  /** Legacy `ENV k v` form (no `=`). */
  noDelim?: boolean;
}

export interface ArgDef {
  key: string;
  /** undefined: `ARG name` without a default. */
  value?: string;
}

/** An anonymous file given as a heredoc to COPY/ADD. */
export interface SourceContent {
  /** The heredoc delimiter, used as the file name. */
  path: string;
  data: string;
  /** Whether `data` is subject to variable expansion. */
  expand: boolean;
}

/** A heredoc attached to RUN (the script or extra files). */
export interface InlineFile {
  name: string;
  data: string;
  chomp: boolean;
  expand: boolean;
  fileDescriptor: number;
}

/** Docker's HealthcheckConfig; durations are nanoseconds. */
export interface HealthcheckConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export type NetworkMode = 'default' | 'none' | 'host';

export interface FromInstruction extends InstructionBase {
  kind: 'FROM';
  /** Image reference or `scratch`, unexpanded (meta ARGs apply). */
  image: string;
  /** Stage name from `AS name`, lowercased. */
  name?: string;
  platform?: string;
}

export interface RunInstruction extends InstructionBase {
  kind: 'RUN';
  /** Shell form: one element (the command line). Exec form: the argv. */
  cmdLine: string[];
  /** Shell form: the SHELL (default /bin/sh -c) is prepended. */
  prependShell: boolean;
  files: InlineFile[];
  network: NetworkMode;
  /** Flags given (names without `--`), e.g. ['network']. */
  flagsUsed: string[];
}

export interface CopyInstruction extends InstructionBase {
  kind: 'COPY';
  sources: string[];
  contents: SourceContent[];
  dest: string;
  /** `--from`: stage name, stage index or image reference. */
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  excludes: string[];
}

export interface AddInstruction extends InstructionBase {
  kind: 'ADD';
  sources: string[];
  contents: SourceContent[];
  dest: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  checksum?: string;
  keepGitDir?: boolean;
  unpack?: boolean;
  excludes: string[];
  /** Which of `sources` are remote URLs (http/https) or git URLs. */
  urlSources: string[];
}

export interface EnvInstruction extends InstructionBase {
  kind: 'ENV';
  env: KeyValue[];
}

export interface ArgInstruction extends InstructionBase {
  kind: 'ARG';
  args: ArgDef[];
}

export interface WorkdirInstruction extends InstructionBase {
  kind: 'WORKDIR';
  path: string;
}

export interface UserInstruction extends InstructionBase {
  kind: 'USER';
  user: string;
}

export interface LabelInstruction extends InstructionBase {
  kind: 'LABEL';
  labels: KeyValue[];
}

export interface ExposeInstruction extends InstructionBase {
  kind: 'EXPOSE';
  /** Port specs as written, sorted as strings (Docker sorts them). */
  ports: string[];
}

export interface VolumeInstruction extends InstructionBase {
  kind: 'VOLUME';
  volumes: string[];
}

export interface CmdInstruction extends InstructionBase {
  kind: 'CMD';
  cmdLine: string[];
  prependShell: boolean;
}

export interface EntrypointInstruction extends InstructionBase {
  kind: 'ENTRYPOINT';
  /** null for `ENTRYPOINT []` / an empty shell form. */
  cmdLine: string[] | null;
  prependShell: boolean;
}

export interface ShellInstruction extends InstructionBase {
  kind: 'SHELL';
  shell: string[];
}

export interface StopSignalInstruction extends InstructionBase {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: 'HEALTHCHECK';
  health: HealthcheckConfig;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'ONBUILD';
  /** The trigger as stored in the image config's OnBuild (`RUN echo hi`). */
  expression: string;
}

export interface MaintainerInstruction extends InstructionBase {
  kind: 'MAINTAINER';
  maintainer: string;
}

/** Everything that can appear inside a stage. */
export type Instruction =
  | RunInstruction
  | CopyInstruction
  | AddInstruction
  | EnvInstruction
  | ArgInstruction
  | WorkdirInstruction
  | UserInstruction
  | LabelInstruction
  | ExposeInstruction
  | VolumeInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | StopSignalInstruction
  | HealthcheckInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

export type AnyInstruction = Instruction | FromInstruction;

export interface Stage {
  /** Position in the Dockerfile (0-based), the value `COPY --from=<index>` refers to. */
  index: number;
  /** Lowercased `AS` name, if any. */
  name?: string;
  /** The FROM argument, unexpanded. */
  base: string;
  platform?: string;
  from: FromInstruction;
  commands: Instruction[];
}

export type { Heredoc };
