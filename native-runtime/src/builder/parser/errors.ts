// Dockerfile errors name their line, in Docker's wording: "dockerfile parse error on line 7: unknown
// instruction: COPPY". They are EngineErrors (400) so the API layer reports them as Docker does.
import { EngineError } from '../../errors.js';

export class DockerfileError extends EngineError {
  /** 1-based line where the offending instruction starts (0 when the file as a whole is at fault). */
  readonly line: number;
  readonly endLine: number;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(line: number, detail: string, opts: { endLine?: number; cause?: unknown; prefix?: string } = {}) {
    super(400, `${opts.prefix ?? `dockerfile parse error on line ${line}: `}${detail}`, { cause: opts.cause });
    this.name = 'DockerfileError';
    this.line = line;
    this.endLine = opts.endLine ?? line;
    this.detail = detail;
  }
}

export function isDockerfileError(e: unknown): e is DockerfileError {
  return e instanceof DockerfileError;
}

/** A build-time (dispatch) error for a step, formatted as `Dockerfile:7: COPY failed: …`. */
export function stepError(line: number, detail: string, file = 'Dockerfile', cause?: unknown): DockerfileError {
  return new DockerfileError(line, detail, { prefix: `${file}:${line}: `, cause });
}
