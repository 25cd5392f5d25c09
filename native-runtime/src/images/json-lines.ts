// A JSON-lines progress stream as dockerd writes them (one JSON message per line, "\r\n" ended), with
// the "answer with a status until the first line, then stream" rule of dockerd's WriteFlusher: a job that
// fails before it said anything rejects (so an HTTP layer can send 403/404), afterwards its error becomes
// an {"errorDetail":…,"error":…} line.
import { PassThrough, type Readable } from 'node:stream';
import type { ProgressMessage } from '../registry/progress.js';

export type Emit = (m: ProgressMessage) => void;

export function errorLine(e: unknown): ProgressMessage {
  const message = e instanceof Error ? e.message : String(e);
  return { errorDetail: { message }, error: message };
}

export interface StreamJobOptions {
  /** Maps a failure to what the caller rejects with or writes as the last line. */
  toError?: (e: unknown) => unknown;
  /** Resolve at once: every failure becomes an error line (for jobs whose first line comes at the end). */
  eager?: boolean;
}

/** Runs `job` and resolves with its progress stream once the first message is out (or the job is done). */
export function streamJob(job: (emit: Emit) => Promise<void>, opts: StreamJobOptions = {}): Promise<Readable> {
  const toError = opts.toError ?? ((e: unknown) => e);
  const out = new PassThrough();
  let started = false;
  return new Promise<Readable>((resolve, reject) => {
    const start = (): void => {
      if (started) return;
      started = true;
      resolve(out);
    };
    const emit: Emit = (m) => {
      start();
      out.write(JSON.stringify(m) + '\r\n');
    };
    if (opts.eager) start();
    job(emit).then(
      () => {
        start();
        out.end();
      },
      (e: unknown) => {
        const err = toError(e);
        if (!started) {
          out.destroy();
          reject(err);
          return;
        }
        out.write(JSON.stringify(errorLine(err)) + '\r\n');
        out.end();
      },
    );
  });
}
