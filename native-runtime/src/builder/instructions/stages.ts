// Stage selection (--target), references between stages (FROM <stage>, COPY --from=<stage|index>)
// and the order in which stages must be built.
import { DockerfileError } from '../parser/errors.js';
import type { ParsedDockerfile } from './parse.js';
import type { Stage } from './types.js';

/** Index of the stage named `target` (case-insensitive), or a DockerfileError as Docker words it. */
export function findTarget(stages: readonly Stage[], target: string): number {
  const i = stages.findIndex((s) => s.name !== undefined && s.name.toLowerCase() === target.toLowerCase());
  if (i < 0) throw new DockerfileError(0, `target stage ${JSON.stringify(target)} could not be found`, { prefix: '' });
  return i;
}

export type StageRef =
  | { kind: 'stage'; index: number }
  | { kind: 'image'; ref: string }
  | { kind: 'scratch' };

/**
 * What a FROM base or a COPY --from value refers to, from stage `current`: an earlier stage (by name
 * or index) or an image. A name of a later stage is an image reference, as in Docker's classic
 * builder; a numeric index must name an earlier stage.
 */
export function resolveStageRef(stages: readonly Stage[], current: number, value: string, line: number, forCopy: boolean): StageRef {
  if (/^\d+$/.test(value) && forCopy) {
    const n = Number(value);
    if (n >= current) {
      throw new DockerfileError(line, n === current ? `invalid from flag value ${value}: refers to current build stage` : `invalid from flag value ${value}: index out of bounds`);
    }
    return { kind: 'stage', index: n };
  }
  const lower = value.toLowerCase();
  for (let i = 0; i < current; i++) if (stages[i]!.name === lower) return { kind: 'stage', index: i };
  if (!forCopy && lower === 'scratch') return { kind: 'scratch' };
  return { kind: 'image', ref: value };
}

/** The stages stage `index` reads from (FROM and COPY --from), without duplicates. */
export function stageDependencies(stages: readonly Stage[], index: number, resolvedBase?: string): number[] {
  const s = stages[index]!;
  const deps = new Set<number>();
  const b = resolveStageRef(stages, index, resolvedBase ?? s.base, s.from.line, false);
  if (b.kind === 'stage') deps.add(b.index);
  for (const c of s.commands) {
    if (c.kind === 'COPY' && c.from !== undefined) {
      const r = resolveStageRef(stages, index, c.from, c.line, true);
      if (r.kind === 'stage') deps.add(r.index);
    }
  }
  return [...deps].sort((a, b2) => a - b2);
}

/**
 * The stages needed to build `targetIndex` (default: the last), in build order. With `all`, every
 * stage up to the target is kept, which is what Docker's classic builder does.
 */
export function stagesToBuild(stages: readonly Stage[], targetIndex = stages.length - 1, all = false): number[] {
  if (all) return Array.from({ length: targetIndex + 1 }, (_, i) => i);
  const need = new Set<number>();
  const visit = (i: number): void => {
    if (need.has(i)) return;
    need.add(i);
    for (const d of stageDependencies(stages, i)) visit(d);
  };
  visit(targetIndex);
  return [...need].sort((a, b) => a - b);
}

export interface BuildPlan extends ParsedDockerfile {
  /** Index of the last stage to build (the target). */
  targetIndex: number;
  /** Stages kept (all stages up to the target). */
  selected: Stage[];
  /** "Step N/M" total as the classic builder counts: meta ARGs + one per FROM + commands. */
  totalSteps: number;
}

/** Applies --target (stages after it are dropped) and counts the steps. */
export function planStages(parsed: ParsedDockerfile, target?: string): BuildPlan {
  const targetIndex = target ? findTarget(parsed.stages, target) : parsed.stages.length - 1;
  const selected = parsed.stages.slice(0, targetIndex + 1);
  const totalSteps = parsed.metaArgs.length + selected.reduce((n, s) => n + 1 + s.commands.length, 0);
  return { ...parsed, targetIndex, selected, totalSteps };
}
