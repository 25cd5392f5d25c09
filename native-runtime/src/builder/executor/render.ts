// Build records → Docker's classic progress stream: JSON messages, "\r\n"-terminated as dockerd's
// stream formatter writes them, byte for byte what the docker CLI gets from dockerd's classic builder
// ({"stream":"Step 1/6 : FROM busybox\n"}, {"aux":{"ID":…}}, {"errorDetail":…}). With `quiet`
// (docker build -q) only the aux line, errors and finally {"stream":"sha256:…\n"} are written.
import { pipeline, Readable, Transform } from 'node:stream';
import type { BuildRecord } from './records.js';

/** Docker's short form of an image or container ID: 12 hex characters. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Renders records one by one; remembers what a later record needs (the step's text, the image ID). */
export class ClassicRenderer {
  private instruction = '';
  private imageId: string | null = null;
  private failed = false;

  constructor(private readonly quiet = false) {}

  /** The JSON messages for one record, in order. */
  render(r: BuildRecord): object[] {
    const text = (s: string): object[] => (this.quiet || s === '' ? [] : [{ stream: s }]);
    switch (r.type) {
      case 'warning':
        return text(r.text + '\n');
      case 'step':
        this.instruction = r.instruction;
        return text(`Step ${r.index}/${r.total} : ${r.instruction}\n`);
      case 'pull':
        return this.quiet ? [] : [r.progress];
      case 'triggers':
        return text(`# Executing ${r.count} build trigger${r.count === 1 ? '' : 's'}\n`);
      case 'cache-hit':
        return text(' ---> Using cache\n');
      case 'container':
        return text(` ---> Running in ${shortId(r.id)}\n`);
      case 'output':
        return text(r.text);
      case 'container-removed':
        return text(`Removing intermediate container ${shortId(r.id)}\n`);
      case 'step-done':
        return text(` ---> ${r.imageId ? shortId(r.imageId) : ''}\n`);
      case 'built':
        this.imageId = r.imageId;
        return [{ aux: { ID: r.imageId } }, ...text(`Successfully built ${shortId(r.imageId)}\n`)];
      case 'tagged':
        return text(`Successfully tagged ${r.tag}\n`);
      case 'error': {
        this.failed = true;
        // dockerd's errorDetail carries only its own message (and a failed RUN's exit code); Berth's
        // extra context (where, and the last output) goes in the stream just before it.
        const where = r.location && r.location.line > 0 ? `${r.file}:${r.location.line}: ${this.instruction}\n` : '';
        const tail = r.lastOutput?.length ? `last output:\n${r.lastOutput.map((l) => `  ${l}\n`).join('')}` : '';
        const context = r.lastOutput !== undefined ? text(where + tail) : [];
        const detail = r.code !== undefined ? { code: r.code, message: r.message } : { message: r.message };
        return [...context, { errorDetail: detail, error: r.message }];
      }
    }
  }

  /** What comes after the last record: the quiet build's one line, the image ID. */
  end(): object[] {
    return this.quiet && this.imageId && !this.failed ? [{ stream: this.imageId + '\n' }] : [];
  }
}

/** A stream of records (object mode) as Docker's JSON lines; destroying the result destroys `records`. */
export function renderClassic(records: Readable, quiet = false): Readable {
  const r = new ClassicRenderer(quiet);
  const line = (m: object): string => JSON.stringify(m) + '\r\n';
  const out = new Transform({
    writableObjectMode: true,
    transform(rec: BuildRecord, _enc, cb) {
      cb(null, r.render(rec).map(line).join('') || undefined);
    },
    flush(cb) {
      cb(null, r.end().map(line).join('') || undefined);
    },
  });
  // The build ends by ending its record stream; a consumer that goes away cancels it (pipeline
  // destroys `records`, which the builder watches).
  pipeline(records, out, () => {});
  return out;
}
