// The process the shim runs (shim.json "process"), the same shape for a container's init and for an
// exec: containers/spec.ts builds the first, exec/process.ts the second. It lives here, below both,
// so that containers/ never imports exec/ (exec/ uses containers/).
import type { Rlimit } from './ulimits.js';

export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  terminal: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  noNewPrivileges: boolean;
  capabilities: string[];
  rlimits: Rlimit[];
}
