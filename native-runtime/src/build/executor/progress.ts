// The build's output: Docker's JSON progress lines ({"stream":…}, {"aux":…}, {"errorDetail":…}), one
// per line, "\r\n"-terminated as dockerd's stream formatter writes them. With `quiet` (docker build -q)
// only the final image ID and errors are written.
import { PassThrough } from 'node:stream';

export class BuildOutput {
  readonly stream = new PassThrough();
  private ended = false;

  constructor(private readonly quiet = false) {}

  /** True once the consumer destroyed the stream (the build is cancelled) or the build ended. */
  get closed(): boolean {
    return this.ended || this.stream.destroyed;
  }

  private write(obj: unknown): void {
    if (this.closed) return;
    this.stream.write(JSON.stringify(obj) + '\r\n');
  }

  /** Text for the build log (RUN output, Step lines, ` ---> id`). */
  text(s: string): void {
    if (!this.quiet && s) this.write({ stream: s });
  }

  line(s: string): void {
    this.text(s + '\n');
  }

  /** Progress of a pull in pull's own shape (status/id/progressDetail). */
  status(obj: Record<string, unknown>): void {
    if (!this.quiet) this.write(obj);
  }

  aux(obj: unknown): void {
    this.write({ aux: obj });
  }

  /** The quiet build's one line: the image ID. */
  quietResult(id: string): void {
    if (this.quiet) this.write({ stream: id + '\n' });
  }

  error(message: string): void {
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.stream.destroyed) this.stream.end();
  }
}

/** Docker's short form of an image or container ID: 12 hex characters. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
