// The build's output folded into steps: "Step N/M : INSTR", its output, whether it was a cache hit and
// how long it took (from the server's millisecond stamps).
export interface BuildStep {
  n: number;
  total: number;
  instruction: string;
  cached: boolean;
  startAt: number;
  endAt: number | null;
  output: string[];
}

export interface BuildView {
  steps: BuildStep[];
  /** Output before the first step (context upload messages). */
  preamble: string[];
  imageId: string | null;
}

export const emptyBuild = (): BuildView => ({ steps: [], preamble: [], imageId: null });

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;

export function addStream(view: BuildView, text: string, at: number): BuildView {
  const steps = view.steps.slice();
  const preamble = view.preamble.slice();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    const m = STEP.exec(line);
    if (m) {
      const prev = steps[steps.length - 1];
      if (prev && prev.endAt === null) steps[steps.length - 1] = { ...prev, endAt: at };
      steps.push({ n: Number(m[1]), total: Number(m[2]), instruction: m[3]!, cached: false, startAt: at, endAt: null, output: [] });
      continue;
    }
    const cur = steps[steps.length - 1];
    if (!cur) {
      preamble.push(line);
      continue;
    }
    const next = { ...cur, output: [...cur.output, line] };
    if (/^ ---> Using cache$/.test(line)) next.cached = true;
    // " ---> <id>" closes the step (the image it produced).
    if (/^ ---> [0-9a-f]{12}$/.test(line)) next.endAt = at;
    steps[steps.length - 1] = next;
  }
  return { ...view, steps, preamble };
}

/** At the end (done, error or cancel), the running step stops the clock. */
export function finish(view: BuildView, at: number): BuildView {
  const steps = view.steps.map((s) => (s.endAt === null ? { ...s, endAt: at } : s));
  return { ...view, steps };
}
