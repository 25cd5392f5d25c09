// Progress of stack operations, as the API streams it to the dashboard. Build and pull records are the
// engine's own progress records, passed through unchanged.
import type { Plan } from './plan.ts';

export type ServicePhase =
  | 'pulling'
  | 'pulled'
  | 'building'
  | 'built'
  | 'creating'
  | 'created'
  | 'recreating'
  | 'starting'
  | 'started'
  | 'waiting'
  | 'healthy'
  | 'completed'
  | 'removing'
  | 'removed'
  | 'stopping'
  | 'stopped'
  | 'unchanged';

export type StackEvent =
  | { type: 'plan'; plan: Plan }
  | { type: 'warning'; message: string }
  | { type: 'service'; service: string; phase: ServicePhase; container?: string; message?: string }
  | { type: 'pull'; service: string; record: Record<string, unknown> }
  | { type: 'build'; service: string; record: Record<string, unknown> }
  | { type: 'network'; name: string; action: 'created' | 'exists' | 'removed' }
  | { type: 'volume'; name: string; action: 'created' | 'exists' | 'removed' }
  | { type: 'orphan'; container: string; service: string; action: 'found' | 'removed' }
  | { type: 'error'; message: string; service?: string }
  | { type: 'done'; version: number | null };

export type Emit = (e: StackEvent) => void;
