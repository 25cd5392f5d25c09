// The build's output: a stream of BuildRecords (object mode), written as things happen. Destroying the
// stream is how a consumer cancels the build.
import { PassThrough } from 'node:stream';
import type { BuildRecord } from './records.js';

export class BuildOutput {
  readonly stream = new PassThrough({ objectMode: true });
  private ended = false;

  /** True once the consumer destroyed the stream (the build is cancelled) or the build ended. */
  get closed(): boolean {
    return this.ended || this.stream.destroyed;
  }

  emit(r: BuildRecord): void {
    if (this.closed) return;
    if (r.type === 'output' && r.text === '') return;
    this.stream.write(r);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.stream.destroyed) this.stream.end();
  }
}

export { shortId } from './render.js';
