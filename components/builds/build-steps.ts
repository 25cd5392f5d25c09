// The build's records folded into steps: instruction, Dockerfile line, cache hit, output, whether it
// failed, and how long it took (from the server's millisecond stamps). Records arrive structured from
// the engine, so nothing here reads text.
import type { BuildRecord } from '@berth/runtime/engine';

/** Output kept per step: the tail, so a chatty RUN cannot grow the page without bound. */
export const STEP_OUTPUT_MAX = 64 * 1024;

export interface BuildStep {
  n: number;
  total: number;
  instruction: string;
  /** Dockerfile line of the instruction (null when the engine does not say, or for added steps). */
  line: number | null;
  cached: boolean;
  failed: boolean;
  startAt: number;
  endAt: number | null;
  output: string;
}

export interface BuildView {
  steps: BuildStep[];
  /** Warnings before the first step. */
  preamble: string[];
  imageId: string | null;
}

export const emptyBuild = (): BuildView => ({ steps: [], preamble: [], imageId: null });

function withStep(view: BuildView, index: number, fn: (s: BuildStep) => BuildStep): BuildView {
  const i = view.steps.findIndex((s) => s.n === index);
  if (i < 0) return view;
  const steps = view.steps.slice();
  steps[i] = fn(steps[i]!);
  return { ...view, steps };
}

const appendOutput = (s: BuildStep, text: string): BuildStep => ({ ...s, output: (s.output + text).slice(-STEP_OUTPUT_MAX) });

export function addRecord(view: BuildView, r: BuildRecord, at: number): BuildView {
  switch (r.type) {
    case 'warning':
      return { ...view, preamble: [...view.preamble, r.text] };
    case 'step': {
      const steps = view.steps.map((s) => (s.endAt === null ? { ...s, endAt: at } : s));
      steps.push({ n: r.index, total: r.total, instruction: r.instruction, line: r.location && r.location.line > 0 ? r.location.line : null, cached: false, failed: false, startAt: at, endAt: null, output: '' });
      return { ...view, steps };
    }
    case 'cache-hit':
      return withStep(view, r.index, (s) => ({ ...s, cached: true }));
    case 'output':
      return withStep(view, r.index, (s) => appendOutput(s, r.text));
    case 'triggers':
      return withStep(view, r.index, (s) => appendOutput(s, `# Executing ${r.count} build trigger${r.count === 1 ? '' : 's'}\n`));
    case 'step-done':
      return withStep(view, r.index, (s) => ({ ...s, endAt: at }));
    case 'error':
      return r.step === null ? view : withStep(view, r.step, (s) => ({ ...s, failed: true, endAt: s.endAt ?? at }));
    case 'built':
      return { ...view, imageId: r.imageId };
    case 'pull':
    case 'container':
    case 'container-removed':
    case 'tagged':
      return view;
  }
}

/** At the end (done, error or cancel), the running step stops the clock. */
export function finish(view: BuildView, at: number): BuildView {
  const steps = view.steps.map((s) => (s.endAt === null ? { ...s, endAt: at } : s));
  return { ...view, steps };
}
