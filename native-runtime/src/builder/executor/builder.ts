// The build executor: a Dockerfile and its context in, an image out, step by step as Docker's
// classic builder does it, reporting structured records (records.ts) as it goes; render.ts turns them
// into Docker's JSON progress stream. See docs/builder.md.
//
// Per step: expand the instruction (ARG/ENV in scope), work out its config and recorded Cmd, look the
// cache up (parent image + step config [+ sources hash]), and on a miss do the work — RUN in a
// container, COPY/ADD/WORKDIR in a mounted snapshot, metadata nothing — then create the step's image.
// After the first miss, later steps do not look the cache up. Errors name the line.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { acquireLease, type Lease } from '../../archive/lease.js';
import type { ContainerManager } from '../../containers/manager.js';
import type { BuildOptions } from '../../engine/engine.js';
import { EngineError } from '../../errors.js';
import type { EventBus } from '../../events/bus.js';
import type { ImageStores } from '../../images/open.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../../images/reference.js';
import type { ImageRecord } from '../../images/store.js';
import { normalizeContainerConfig, type ContainerConfig, type ImageConfig } from '../../images/types.js';
import { mountOverlay, umount, MNT_DETACH } from '../../native/index.js';
import { RegistryPolicy } from '../../registry/allow-list.js';
import { pull } from '../../registry/pull.js';
import { unpackImage } from '../../snapshots/unpack.js';
import { randomHex } from '../../util/ids.js';
import { cacheKey } from '../cache-key.js';
import { ContextError } from '../context/decompress.js';
import { readContext, type BuildContext } from '../context/extract.js';
import { checkDestination, SourceError } from '../context/sources.js';
import { copyComment, nopCmdString, shellOf } from '../created-by.js';
import { applyMetadata, runCommand, type StageState } from '../instructions/apply.js';
import { BuildArgs } from '../instructions/build-args.js';
import { dispatchEnv, expandInstruction, expandSourceContents, resolveFrom } from '../instructions/expand.js';
import { parseDockerfileStages, parseOnbuildTriggers } from '../instructions/parse.js';
import { planStages, resolveStageRef, type BuildPlan } from '../instructions/stages.js';
import type { AddInstruction, CopyInstruction, Instruction, InstructionBase, LabelInstruction, RunInstruction, Stage, WorkdirInstruction } from '../instructions/types.js';
import { DockerfileError, stepError } from '../parser/errors.js';
import { formatWarnings } from '../parser/parser.js';
import { envFromList } from '../parser/shell-lex.js';
import type { BuildCache } from './cache.js';
import { copyInto, normalizeDest } from './copy.js';
import { createStepImageWithConfig, type StepLayer } from './image.js';
import { BuildOptionsSchema, type ParsedBuildOptions } from './options.js';
import { BuildOutput } from './progress.js';
import type { BuildRecord, SourceLocation } from './records.js';
import { mkdirAllIn, parseChmod, resolveChown, resolveInRoot } from './rootfs.js';
import { RunCancelled, runStep } from './run-step.js';
import { collectSources } from './sources.js';
import { StepRootfs } from './workspace.js';

export interface BuilderDeps {
  /** The Berth data root. */
  root: string;
  stores: ImageStores;
  containers: ContainerManager;
  events: EventBus;
  cache: BuildCache;
  /** Registry policy for FROM pulls and ADD URLs (default: from the environment). */
  policy?: () => RegistryPolicy;
}

/** Where the builder keeps its files: build/cache.json, build/mnt (step mounts), build/tmp (contexts). */
export const buildDir = (root: string): string => path.join(root, 'build');

const METADATA = new Set(['ENV', 'LABEL', 'MAINTAINER', 'ARG', 'USER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK', 'ONBUILD']);

/** What a stage's dispatch carries from step to step. */
interface Dispatch {
  stage: Stage;
  /** The current image ('' before the first step of a FROM scratch stage). */
  record: ImageRecord | null;
  /** Its config, loaded lazily (a cache hit does not need it). */
  imageConfig: ImageConfig | null | undefined;
  state: StageState;
}

interface StageResult {
  record: ImageRecord | null;
}

class BuildCancelled extends Error {
  constructor() {
    super('build cancelled');
  }
}

/** A RUN command that exited non-zero: dockerd's message and code; the last output travels beside it. */
class CommandFailed extends DockerfileError {
  constructor(
    line: number,
    message: string,
    readonly exitCode: number,
    readonly lastOutput: string[],
  ) {
    super(line, message, { prefix: '' });
  }
}

/**
 * Starts a build. The returned stream (object mode) carries its BuildRecords and ends when the build
 * is done; destroying it cancels the build. Bad options throw an EngineError (400) before anything runs.
 */
export function startBuild(deps: BuilderDeps, context: Readable, opts: BuildOptions = {}): Readable {
  const parsed = BuildOptionsSchema.safeParse(opts);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EngineError(400, `${issue.path.join('.') || 'options'}: ${issue.message}`);
  }
  const tags = parsed.data.t.map((t) => {
    try {
      return familiarString(withDefaultTag(parseNormalizedNamed(t)));
    } catch (e) {
      throw new EngineError(400, `invalid tag ${JSON.stringify(t)}: ${(e as Error).message}`);
    }
  });
  const b = new Build(deps, context, parsed.data, tags);
  b.start();
  return b.out.stream;
}

class Build {
  readonly out: BuildOutput;
  private readonly ac = new AbortController();
  private readonly lease: Lease;
  private ctx: BuildContext | undefined;
  private tmpDir: string | undefined;
  private cacheBusted = false;
  private finished = false;
  private step = 0;
  /** The step running now (for records, and errors that do not name their line). */
  private location: SourceLocation | null = null;
  private plan!: BuildPlan;
  private readonly results = new Map<number, StageResult>();
  private readonly unpacked = new Map<string, string | undefined>();
  private readonly workspaces = new Set<StepRootfs>();
  private readonly removals: Promise<void>[] = [];

  constructor(
    private readonly deps: BuilderDeps,
    private readonly context: Readable,
    private readonly opts: ParsedBuildOptions,
    private readonly tags: string[],
  ) {
    this.out = new BuildOutput();
    this.lease = acquireLease(deps.stores, 'build');
    this.out.stream.on('close', () => {
      if (!this.finished) this.ac.abort();
    });
  }

  private get signal(): AbortSignal {
    return this.ac.signal;
  }

  start(): void {
    this.run()
      .catch((err: unknown) => {
        if (this.signal.aborted) return;
        this.out.emit(this.errorRecord(err));
      })
      .finally(async () => {
        this.finished = true;
        await Promise.allSettled(this.removals);
        await this.deps.cache.flush().catch(() => {});
        for (const w of this.workspaces) await w.discard();
        await this.ctx?.cleanup().catch(() => {});
        if (this.tmpDir) await fsp.rm(this.tmpDir, { recursive: true, force: true }).catch(() => {});
        this.lease.release();
        this.out.end();
      });
  }

  /** The build's last record when it fails: dockerd's message (and code), where it happened. */
  private errorRecord(err: unknown): BuildRecord {
    const step = this.location ? this.step : null;
    let location = this.location && this.location.line > 0 ? this.location : null;
    if (err instanceof DockerfileError && err.line > 0 && err.line !== location?.line) location = { line: err.line, column: 1, endLine: err.endLine };
    const rec: BuildRecord = { type: 'error', message: errorMessage(err), step, file: this.file, location };
    if (err instanceof CommandFailed) return { ...rec, code: err.exitCode, lastOutput: err.lastOutput };
    return rec;
  }

  private checkCancelled(): void {
    if (this.signal.aborted) throw new BuildCancelled();
  }

  private get file(): string {
    return this.ctx?.dockerfilePath ?? 'Dockerfile';
  }

  private async run(): Promise<void> {
    const dir = buildDir(this.deps.root);
    await fsp.mkdir(path.join(dir, 'tmp'), { recursive: true, mode: 0o700 });
    this.tmpDir = await fsp.mkdtemp(path.join(dir, 'tmp', 'step-'));
    try {
      this.ctx = await readContext(this.context, { dockerfile: this.opts.dockerfile, tmpParent: path.join(dir, 'tmp'), signal: this.signal });
    } catch (err) {
      if (err instanceof ContextError) throw new EngineError(400, err.message, { cause: err });
      throw err;
    }
    const parsed = parseDockerfileStages(this.ctx.dockerfile);
    for (const w of formatWarnings(parsed.parse)) this.out.emit({ type: 'warning', text: w });
    const plan = planStages(parsed, this.opts.target);
    const labels = labelInstruction(this.opts.labels);
    if (labels) {
      const last = plan.selected[plan.selected.length - 1]!;
      plan.selected[plan.selected.length - 1] = { ...last, commands: [...last.commands, labels] };
      plan.totalSteps++;
    }
    this.plan = plan;

    const globalArgs = new BuildArgs(this.opts.buildargs);
    for (const a of plan.metaArgs) {
      this.printStep(a);
      const env = envFromList([...globalArgs.allMeta()].map(([k, v]) => `${k}=${v}`));
      const x = expandInstruction(a, env, parsed.parse.escapeToken);
      for (const d of x.args) globalArgs.addMetaArg(d.key, d.value);
    }
    for (const stage of plan.selected) {
      this.checkCancelled();
      const args = globalArgs.forStage();
      const res = await this.buildStage(stage, args);
      globalArgs.mergeReferenced(args);
      this.results.set(stage.index, res);
    }
    const final = this.results.get(plan.targetIndex)?.record;
    if (!final) throw new EngineError(400, 'No image was generated. Is your Dockerfile empty?');
    const warn = globalArgs.unusedWarning();
    this.location = null;
    if (warn) this.out.emit({ type: 'warning', text: warn });
    this.out.emit({ type: 'built', imageId: final.id });
    for (const t of this.tags) {
      await this.deps.stores.images.tag(final.id, t);
      this.deps.events.emit('image', 'tag', final.id, { name: t });
      this.out.emit({ type: 'tagged', tag: t });
    }
  }

  private printStep(ins: InstructionBase): void {
    this.location = { line: ins.line, column: ins.column, endLine: ins.endLine };
    this.out.emit({ type: 'step', index: ++this.step, total: this.plan.totalSteps, instruction: ins.original, location: this.location });
  }

  private stepDone(record: ImageRecord | null): void {
    this.out.emit({ type: 'step-done', index: this.step, imageId: record?.id ?? null });
  }

  // ─────────────────────────── stages ───────────────────────────

  private async buildStage(stage: Stage, args: BuildArgs): Promise<StageResult> {
    this.printStep(stage.from);
    const escape = this.plan.parse.escapeToken;
    const base = await this.baseOf(stage, args);
    const config = normalizeContainerConfig(structuredClone(base.config?.config ?? {}));
    if (!(config.Env ?? []).some((e) => e.startsWith('PATH='))) config.Env = [...(config.Env ?? []), 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
    config.OpenStdin = false;
    config.StdinOnce = false;
    const d: Dispatch = { stage, record: base.record, imageConfig: base.config, state: { config, cmdSet: false, args } };
    const triggers = config.OnBuild ?? [];
    if (triggers.length) {
      config.OnBuild = null;
      const parsed = parseOnbuildTriggers(triggers, stage.from.line, escape);
      this.out.emit({ type: 'triggers', index: this.step, count: parsed.length });
      for (const t of parsed) await this.dispatch(d, t);
    }
    this.stepDone(d.record);
    for (const ins of stage.commands) {
      this.checkCancelled();
      this.printStep(ins);
      await this.dispatch(d, ins);
      this.stepDone(d.record);
    }
    return { record: d.record };
  }

  /** The stage's base: an earlier stage's result, a local or pulled image, or nothing (scratch). */
  private async baseOf(stage: Stage, args: BuildArgs): Promise<{ record: ImageRecord | null; config: ImageConfig | null }> {
    const line = stage.from.line;
    const from = resolveFrom(stage.from, args, this.plan.parse.escapeToken);
    const ref = resolveStageRef(this.plan.stages, stage.index, from.image, line, false);
    if (ref.kind === 'scratch') return { record: null, config: null };
    const record = ref.kind === 'stage' ? this.stageImage(ref.index, line) : await this.image(ref.ref, line, this.opts.pull);
    return { record, config: record ? await this.deps.stores.images.config(record) : null };
  }

  private stageImage(index: number, line: number): ImageRecord | null {
    const r = this.results.get(index);
    if (!r) throw stepError(line, `stage ${index} has not been built`, this.file);
    return r.record;
  }

  /** A local image, pulled first when missing or when `pull` asks for it. */
  private async image(ref: string, line: number, forcePull: boolean): Promise<ImageRecord> {
    const local = await this.deps.stores.images.find(ref).catch(() => null);
    if (local && !forcePull) {
      this.lease.addImage(local.id);
      return local;
    }
    try {
      const policy = this.deps.policy?.() ?? RegistryPolicy.fromEnv();
      const res = await pull(this.deps.stores, ref, { policy, onProgress: (m) => this.out.emit({ type: 'pull', index: this.step, progress: m as Record<string, unknown> }) });
      this.deps.events.emit('image', 'pull', res.reference, { name: res.reference });
      const rec = await this.deps.stores.images.get(res.imageId);
      this.lease.addImage(rec.id);
      return rec;
    } catch (err) {
      throw stepError(line, local ? `pulling ${ref} failed: ${errorMessage(err)}` : `${ref}: image not found locally and pulling it failed: ${errorMessage(err)}`, this.file, err);
    }
  }

  // ─────────────────────────── steps ───────────────────────────

  private async dispatch(d: Dispatch, ins: Instruction): Promise<void> {
    const env = dispatchEnv(d.state.config.Env, d.state.args);
    const escape = this.plan.parse.escapeToken;
    let x = expandInstruction(ins, env, escape);
    if (x.kind === 'COPY' || x.kind === 'ADD') x = expandSourceContents(x, env, escape);
    if (METADATA.has(x.kind)) return this.metadataStep(d, x);
    switch (x.kind) {
      case 'WORKDIR':
        return this.workdirStep(d, x);
      case 'RUN':
        return this.runStep(d, x);
      case 'COPY':
      case 'ADD':
        return this.copyStep(d, x);
      default:
        throw stepError(ins.line, `unsupported instruction ${ins.kind}`, this.file);
    }
  }

  private key(d: Dispatch, cmd: string[], extra?: Record<string, unknown>, sources?: string): string {
    return cacheKey(d.record?.id ?? '', { config: { ...d.state.config, Image: '' }, cmd, ...(extra ? { extra } : {}) }, sources);
  }

  /** The cached result of a step, or null (and from then on, no more lookups). */
  private async lookup(key: string): Promise<ImageRecord | null> {
    if (this.opts.nocache || this.cacheBusted) return null;
    const id = await this.deps.cache.get(key);
    const rec = id ? await this.deps.stores.images.find(id).catch(() => null) : null;
    if (!rec) {
      this.cacheBusted = true;
      return null;
    }
    this.out.emit({ type: 'cache-hit', index: this.step });
    this.lease.addImage(rec.id);
    return rec;
  }

  private async commitStep(d: Dispatch, key: string, stepCmd: string[], layer: StepLayer | null, extra: { createdBy?: string; containerId?: string } = {}): Promise<void> {
    if (d.imageConfig === undefined) d.imageConfig = d.record ? await this.deps.stores.images.config(d.record) : null;
    // The config just written is the next step's parent config: reading it back cost a read and parse
    // of every step's history, per step (issue #16).
    const { record: rec, config } = await createStepImageWithConfig(
      this.deps.stores,
      {
        parent: d.record,
        parentConfig: d.imageConfig,
        config: d.state.config,
        stepCmd,
        layer,
        ...(d.state.maintainer ? { author: d.state.maintainer } : {}),
        ...(extra.createdBy ? { createdBy: extra.createdBy } : {}),
        ...(extra.containerId ? { containerId: extra.containerId } : {}),
      },
      this.lease,
    );
    await this.deps.cache.set(key, rec.id);
    this.advance(d, rec, config);
  }

  private advance(d: Dispatch, rec: ImageRecord, config: ImageConfig | undefined): void {
    d.record = rec;
    d.imageConfig = config;
  }

  private async metadataStep(d: Dispatch, x: Instruction): Promise<void> {
    const r = applyMetadata(d.state, x, (note) => this.out.emit({ type: 'output', index: this.step, text: note + '\n' }));
    const key = this.key(d, r.commentCmd);
    const hit = await this.lookup(key);
    if (hit) return this.advance(d, hit, undefined);
    await this.commitStep(d, key, r.commentCmd, null);
  }

  /** The top chain ID of an image, its layers unpacked (undefined for an image without layers). */
  private async chainOf(rec: ImageRecord | null): Promise<string | undefined> {
    if (!rec || rec.diffIds.length === 0) return undefined;
    const known = this.unpacked.get(rec.id);
    if (known) return known;
    const { chainIds: ids } = await unpackImage(
      this.deps.stores.snapshots,
      this.deps.stores.content,
      rec.layers.map((l, i) => ({ digest: l.digest, diffId: rec.diffIds[i]! })),
    );
    const top = ids[ids.length - 1]!;
    for (const c of ids) this.lease.addSnapshot(c);
    this.unpacked.set(rec.id, top);
    return top;
  }

  private async workspace(d: Dispatch): Promise<StepRootfs> {
    const parent = await this.chainOf(d.record);
    const ws = await StepRootfs.prepare(this.deps.stores, path.join(buildDir(this.deps.root), 'mnt'), parent, this.lease);
    this.workspaces.add(ws);
    return ws;
  }

  /** Runs fn on a fresh workspace and commits it; the workspace is discarded if anything fails. */
  private async inWorkspace(d: Dispatch, fn: (root: string) => Promise<void>): Promise<StepLayer | null> {
    const ws = await this.workspace(d);
    try {
      await fn(ws.root);
      this.checkCancelled();
      const layer = await ws.commit();
      if (layer) this.lease.addSnapshot(layer.chain);
      return layer;
    } finally {
      await ws.discard();
      this.workspaces.delete(ws);
    }
  }

  private async workdirStep(d: Dispatch, x: WorkdirInstruction): Promise<void> {
    const r = applyMetadata(d.state, x);
    const key = this.key(d, r.commentCmd);
    const hit = await this.lookup(key);
    if (hit) return this.advance(d, hit, undefined);
    const wd = d.state.config.WorkingDir;
    let layer: StepLayer | null;
    try {
      layer = await this.inWorkspace(d, async (root) => {
        const abs = await resolveInRoot(root, wd);
        const st = await fsp.lstat(abs).catch(() => null);
        if (st && !st.isDirectory()) throw new Error(`Cannot mkdir: ${wd} is not a directory`);
        if (!st) await mkdirAllIn(root, abs);
      });
    } catch (err) {
      if (err instanceof BuildCancelled) throw err;
      throw stepError(x.line, `WORKDIR failed: ${errorMessage(err)}`, this.file, err);
    }
    await this.commitStep(d, key, r.commentCmd, layer);
  }

  private async runStep(d: Dispatch, x: RunInstruction): Promise<void> {
    const rc = runCommand(d.state, x);
    if (rc.script) throw stepError(x.line, 'RUN with a heredoc script that starts with #! is not supported by this builder; run it through the shell instead', this.file);
    const network: 'none' | 'host' = x.network === 'host' || (x.network === 'default' && this.opts.networkmode === 'host') ? 'host' : 'none';
    const key = this.key(d, rc.saveCmd, { network });
    const hit = await this.lookup(key);
    if (hit) return this.advance(d, hit, undefined);
    if (!d.record || d.record.diffIds.length === 0) {
      throw stepError(x.line, `The command '${rc.argv.join(' ')}' cannot run: the image has no filesystem yet (FROM scratch)`, this.file);
    }
    await this.chainOf(d.record);
    const decoder = new StringDecoder('utf8');
    let cid = '';
    let res;
    try {
      res = await runStep({
        containers: this.deps.containers,
        stores: this.deps.stores,
        containersRoot: path.join(this.deps.root, 'containers'),
        image: d.record,
        config: d.state.config,
        argv: rc.argv,
        env: rc.env,
        network,
        keepContainer: !this.opts.rm,
        signal: this.signal,
        onStarted: (id) => {
          cid = id;
          this.out.emit({ type: 'container', index: this.step, id });
        },
        onOutput: (chunk) => this.out.emit({ type: 'output', index: this.step, text: decoder.write(chunk) }),
        onRemoval: (p) => this.removals.push(p),
      });
    } catch (err) {
      if (err instanceof RunCancelled || this.signal.aborted) throw new BuildCancelled();
      throw stepError(x.line, `RUN failed: ${errorMessage(err)}`, this.file, err);
    }
    this.out.emit({ type: 'output', index: this.step, text: decoder.end() });
    if (res.exitCode !== 0) {
      // dockerd's message exactly (builder/dockerfile/internals.go); the tail is rendered before it.
      const tail = res.tail.filter((l) => l.trim() !== '');
      throw new CommandFailed(x.line, `The command '${rc.argv.join(' ')}' returned a non-zero code: ${res.exitCode}`, res.exitCode, tail);
    }
    if (this.opts.rm) this.out.emit({ type: 'container-removed', index: this.step, id: cid });
    if (res.layer) this.lease.addSnapshot(res.layer.chain);
    await this.commitStep(d, key, rc.saveCmd, res.layer, { createdBy: rc.createdBy, containerId: cid });
  }

  private async copyStep(d: Dispatch, x: CopyInstruction | AddInstruction): Promise<void> {
    const kind = x.kind;
    const fail = (msg: string, cause?: unknown): DockerfileError => stepError(x.line, `${kind} failed: ${msg}`, this.file, cause);
    if (x.excludes.length) throw fail('the --exclude option is not supported by this builder');
    if (x.kind === 'COPY' && x.parents) throw fail('the --parents option is not supported by this builder');
    if (x.kind === 'ADD' && x.urlSources.some((u) => !/^https?:\/\//i.test(u))) throw fail('git sources are not supported by this builder');
    const chmod = x.chmod !== undefined ? (() => {
      try {
        return parseChmod(x.chmod!);
      } catch (e) {
        throw fail((e as Error).message);
      }
    })() : undefined;
    const from = x.kind === 'COPY' && x.from !== undefined ? x.from : undefined;
    return this.withSourceRoot(d, x, from, async (root, fromImage) => {
      let collected;
      try {
        collected = await collectSources(x, {
          root,
          fromImage,
          ...(fromImage ? {} : { owners: this.ctx!.owners }),
          tmpDir: path.join(this.tmpDir!, `s${this.step}`),
          policy: this.deps.policy?.() ?? RegistryPolicy.fromEnv(),
          signal: this.signal,
        });
        checkDestination(kind, collected.infos, x.dest);
      } catch (err) {
        if (err instanceof SourceError || err instanceof TypeError) throw fail(err.message, err);
        throw err;
      }
      const comment = copyComment(kind, collected.hash, x.dest, x.chown);
      const cmd = nopCmdString(shellOf(d.state.config), comment);
      const key = this.key(d, cmd, { chmod: chmod ?? null, from: from ?? null }, collected.hash);
      const hit = await this.lookup(key);
      if (hit) return this.advance(d, hit, undefined);
      let layer: StepLayer | null;
      try {
        layer = await this.inWorkspace(d, async (wsRoot) => {
          const identity = x.chown ? await resolveChown(wsRoot, x.chown) : { uid: 0, gid: 0 };
          const dest = normalizeDest(d.state.config.WorkingDir, x.dest);
          await copyInto(wsRoot, collected.infos, dest, { identity, ...(chmod !== undefined ? { chmod } : {}), decompress: kind === 'ADD', signal: this.signal });
        });
      } catch (err) {
        if (err instanceof BuildCancelled || this.signal.aborted) throw new BuildCancelled();
        throw fail(errorMessage(err), err);
      }
      await this.commitStep(d, key, cmd, layer);
    });
  }

  /** Runs fn with the directory local sources come from: the context, or a stage's / image's rootfs. */
  private async withSourceRoot<T>(d: Dispatch, x: CopyInstruction | AddInstruction, from: string | undefined, fn: (root: string, fromImage: boolean) => Promise<T>): Promise<T> {
    if (from === undefined) return fn(this.ctx!.dir, false);
    let ref;
    try {
      ref = resolveStageRef(this.plan.stages, d.stage.index, from, x.line, true);
    } catch (err) {
      if (err instanceof DockerfileError) throw stepError(x.line, `COPY failed: ${err.detail}`, this.file, err);
      throw err;
    }
    const rec = ref.kind === 'stage' ? this.stageImage(ref.index, x.line) : ref.kind === 'image' ? await this.image(ref.ref, x.line, false) : null;
    return this.withImageRoot(rec, (root) => fn(root, true));
  }

  /** A read-only view of an image's rootfs for the duration of fn. */
  private async withImageRoot<T>(rec: ImageRecord | null, fn: (root: string) => Promise<T>): Promise<T> {
    const top = await this.chainOf(rec);
    if (top === undefined) {
      const empty = await fsp.mkdtemp(path.join(this.tmpDir!, 'empty-'));
      return fn(empty);
    }
    const snaps = this.deps.stores.snapshots;
    // btrfs/vfs: a committed snapshot is the whole tree.
    if (rec!.diffIds.length === 1 || snaps.driver !== 'overlay') return fn(await snaps.fsPath(top));
    const key = `build-view-${randomHex(12)}`;
    this.lease.addSnapshot(key);
    const m = await snaps.view(key, top);
    const target = path.join(buildDir(this.deps.root), 'mnt', key.slice('build-'.length));
    await fsp.mkdir(target, { recursive: true, mode: 0o700 });
    try {
      mountOverlay({ cwd: m.cwd, lower: m.lower, target, readonly: true });
      try {
        return await fn(target);
      } finally {
        try {
          umount(target);
        } catch {
          umount(target, MNT_DETACH);
        }
      }
    } finally {
      await fsp.rmdir(target).catch(() => {});
      await snaps.remove(key).catch(() => {});
    }
  }
}

/** `--label` options become one LABEL step at the end of the target stage, as the classic builder adds it. */
function labelInstruction(labels: Record<string, string>): LabelInstruction | null {
  const keys = Object.keys(labels).sort();
  if (!keys.length) return null;
  const original = 'LABEL ' + keys.map((k) => `${JSON.stringify(k)}='${labels[k]}'`).join(' ');
  return { kind: 'LABEL', line: 0, endLine: 0, column: 1, original, labels: keys.map((k) => ({ key: k, value: labels[k]! })) };
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

