// What a build reports, as structured records in the order things happen. The builder emits only these;
// render.ts turns them into Docker's classic JSON stream, and the dashboard folds them into its step
// list as they are. Nothing downstream has to read text to learn which step or line it is on.

/** Where an instruction (or an error) sits in the Dockerfile: 1-based; line 0 for steps Berth adds. */
export interface SourceLocation {
  line: number;
  /** 1-based column of the instruction's first character (1 when unknown). */
  column: number;
  /** Last line of the instruction (continuations and heredoc bodies included). */
  endLine: number;
}

export type BuildRecord =
  /** Text outside any step: parser warnings, the unused build-args warning. */
  | { type: 'warning'; text: string }
  /** A step starts: Docker's "Step index/total : instruction" (location null: a remote engine's build). */
  | { type: 'step'; index: number; total: number; instruction: string; location: SourceLocation | null }
  /** The pull of a FROM image, in pull's own progress shape (status, id, progressDetail). */
  | { type: 'pull'; index: number; progress: Record<string, unknown> }
  /** The base image has ONBUILD triggers; they run now, inside the FROM step. */
  | { type: 'triggers'; index: number; count: number }
  /** The step's (or trigger's) result came from the build cache. */
  | { type: 'cache-hit'; index: number }
  /** A RUN container started. */
  | { type: 'container'; index: number; id: string }
  /** Output of the step: the RUN command's bytes (decoded as UTF-8, live) or a note of the builder. */
  | { type: 'output'; index: number; text: string }
  /** The RUN container was removed (rm). */
  | { type: 'container-removed'; index: number; id: string }
  /** The step is done; its image (null: FROM scratch, which has none yet). */
  | { type: 'step-done'; index: number; imageId: string | null }
  /**
   * The build failed: the last record. `message` and `code` are what dockerd answers (errorDetail);
   * `step`, `file` (the Dockerfile's path in the context) and `location` say where; `lastOutput` is
   * a failed RUN's last lines.
   */
  | { type: 'error'; message: string; code?: number; step: number | null; file: string; location: SourceLocation | null; lastOutput?: string[] }
  /** The final image. */
  | { type: 'built'; imageId: string }
  /** One tag set on the final image. */
  | { type: 'tagged'; tag: string };

export type BuildRecordType = BuildRecord['type'];
