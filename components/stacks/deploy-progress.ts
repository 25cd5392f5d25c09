// Folds the deploy (or rollback) subscription's events into what the progress view shows: one row per
// service with its steps (image, create, start, healthy), build output, and the run's outcome.
import type { DeployEvent, StackPlan } from './types';

type ServicePhase = Extract<DeployEvent, { type: 'service' }>['phase'];
export type StepState = 'pending' | 'active' | 'done' | 'failed' | 'skipped';
export type StepName = 'image' | 'create' | 'start' | 'healthy';

export interface ServiceProgress {
  name: string;
  /** The newest phase the engine reported. */
  phase: ServicePhase | 'pending';
  seen: ServicePhase[];
  /** "build" when the service builds, else "pull" (or "image" until known). */
  imageStep: 'pull' | 'build' | 'image';
  containers: Record<string, ServicePhase>;
  /** Build output lines (the newest MAX_OUTPUT) and the last pull status. */
  output: string[];
  pullStatus: string;
  error: string | null;
}

export interface DeployProgress {
  status: 'running' | 'finished' | 'failed';
  plan: StackPlan | null;
  services: ServiceProgress[];
  resources: string[];
  warnings: string[];
  errors: string[];
  failure: { message: string; issues: Extract<DeployEvent, { type: 'failed' }>['issues'] } | null;
  version: number | null;
  at: number;
}

const MAX_OUTPUT = 400;

export const emptyProgress = (): DeployProgress => ({ status: 'running', plan: null, services: [], resources: [], warnings: [], errors: [], failure: null, version: null, at: 0 });

function service(p: DeployProgress, name: string): [DeployProgress, ServiceProgress] {
  const found = p.services.find((s) => s.name === name);
  if (found) return [p, found];
  const s: ServiceProgress = { name, phase: 'pending', seen: [], imageStep: 'image', containers: {}, output: [], pullStatus: '', error: null };
  return [{ ...p, services: [...p.services, s] }, s];
}

function update(p: DeployProgress, name: string, f: (s: ServiceProgress) => ServiceProgress): DeployProgress {
  const [next, s] = service(p, name);
  const changed = f(s);
  return { ...next, services: next.services.map((x) => (x.name === name ? changed : x)) };
}

/** Text of one builder JSON record ({"stream"}, {"status"}, {"errorDetail"}), or null for aux records. */
function recordText(r: Record<string, unknown>): string | null {
  if (typeof r.stream === 'string') return r.stream;
  if (typeof r.error === 'string') return r.error;
  if (r.errorDetail && typeof (r.errorDetail as { message?: unknown }).message === 'string') return (r.errorDetail as { message: string }).message;
  if (typeof r.status === 'string') return [r.id, r.status, r.progress].filter((x) => typeof x === 'string' && x).join(' ');
  if (typeof r.message === 'string') return r.message;
  return null;
}

export function applyDeployEvent(p: DeployProgress, e: DeployEvent): DeployProgress {
  p = { ...p, at: e.at };
  switch (e.type) {
    case 'plan': {
      let next: DeployProgress = { ...p, plan: e.plan };
      for (const s of e.plan.services) next = update(next, s.name, (x) => ({ ...x, imageStep: s.build ? 'build' : x.imageStep === 'image' ? 'pull' : x.imageStep }));
      return next;
    }
    case 'service':
      return update(p, e.service, (s) => ({
        ...s,
        phase: e.phase,
        seen: s.seen.includes(e.phase) ? s.seen : [...s.seen, e.phase],
        imageStep: e.phase === 'building' || e.phase === 'built' ? 'build' : e.phase === 'pulling' || e.phase === 'pulled' ? 'pull' : s.imageStep,
        containers: e.container ? { ...s.containers, [e.container]: e.phase } : s.containers,
        output: e.message ? [...s.output, e.message].slice(-MAX_OUTPUT) : s.output,
      }));
    case 'build': {
      const text = recordText(e.record);
      if (text === null) return p;
      const lines = text.replace(/\n$/, '').split('\n');
      return update(p, e.service, (s) => ({ ...s, imageStep: 'build', output: [...s.output, ...lines].slice(-MAX_OUTPUT) }));
    }
    case 'pull': {
      const text = recordText(e.record);
      return text === null ? p : update(p, e.service, (s) => ({ ...s, imageStep: 'pull', pullStatus: text }));
    }
    case 'network':
    case 'volume':
      return { ...p, resources: [...p.resources, `${e.type} ${e.name} ${e.action}`] };
    case 'orphan':
      return { ...p, warnings: [...p.warnings, `orphan container ${e.container} (service ${e.service}) ${e.action}`] };
    case 'warning':
      return { ...p, warnings: [...p.warnings, e.message] };
    case 'error':
      if (e.service) return update({ ...p, errors: [...p.errors, `${e.service}: ${e.message}`] }, e.service, (s) => ({ ...s, error: e.message }));
      return { ...p, errors: [...p.errors, e.message] };
    case 'done':
      return p;
    case 'finished':
      return { ...p, status: 'finished', version: e.version };
    case 'failed':
      return { ...p, status: 'failed', failure: { message: e.message, issues: e.issues } };
  }
}

const has = (s: ServiceProgress, ...phases: ServicePhase[]) => phases.some((x) => s.seen.includes(x));

/** The state of each step of a service's row. */
export function stepStates(s: ServiceProgress, finished: boolean): Record<StepName, StepState> {
  const fail = (st: StepState): StepState => (s.error && st === 'active' ? 'failed' : st);
  // Left as it was; a dependent may still wait for its health.
  if (has(s, 'unchanged') && !has(s, 'creating', 'recreating', 'starting')) {
    return { image: 'skipped', create: 'skipped', start: 'skipped', healthy: has(s, 'healthy', 'completed') ? 'done' : has(s, 'waiting') ? fail('active') : 'skipped' };
  }
  const step = (active: ServicePhase[], done: ServicePhase[], later: ServicePhase[]): StepState => {
    if (has(s, ...done) || has(s, ...later)) return 'done';
    if (has(s, ...active)) return fail('active');
    return finished ? 'skipped' : 'pending';
  };
  return {
    image: step(['pulling', 'building'], ['pulled', 'built'], ['creating', 'recreating', 'created', 'starting', 'started', 'waiting', 'healthy', 'completed']),
    create: step(['creating', 'recreating'], ['created'], ['starting', 'started', 'waiting', 'healthy', 'completed']),
    start: step(['starting'], ['started'], ['waiting', 'healthy', 'completed']),
    healthy: step(['waiting'], ['healthy', 'completed'], []),
  };
}
