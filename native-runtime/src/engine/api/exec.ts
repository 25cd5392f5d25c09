// Engine API wire shapes (Docker Engine API 1.41, as dockerd 20.10 sends them), named after their swagger
// definitions. Exec: create (ExecConfig), start (ExecStartConfig), inspect.
// Nullability follows the wire: where dockerd sends `null` for an empty list, the type says `T[] | null`.

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number];
  Env?: string[];
  Cmd: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecStartConfig {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number];
  /** dockerode: hijack the connection (bidirectional stream). */
  hijack?: boolean;
  stdin?: boolean;
}

export interface ExecInspectResponse {
  CanRemove: boolean;
  DetachKeys: string;
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { privileged: boolean; user: string; tty: boolean; entrypoint: string; arguments: string[] };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  ContainerID: string;
  Pid: number;
}
