import type { ExperimentStatus } from './experiment';

/**
 * The lifecycle: draft -> running -> paused <-> running -> completed; draft and completed
 * can be archived. Transitions are explicit actions; anything else is refused with a reason.
 */
export type Action = 'start' | 'pause' | 'resume' | 'complete' | 'archive';

export const TRANSITIONS: Record<Action, { from: readonly ExperimentStatus[]; to: ExperimentStatus }> = {
  start: { from: ['draft'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  complete: { from: ['running', 'paused'], to: 'completed' },
  archive: { from: ['draft', 'completed'], to: 'archived' },
};

export type TransitionResult = { ok: true; to: ExperimentStatus } | { ok: false; reason: string };

export function transition(status: ExperimentStatus, action: Action): TransitionResult {
  const rule = TRANSITIONS[action];
  if (rule.from.includes(status)) return { ok: true, to: rule.to };
  const allowed = rule.from.map((s) => `${s}`).join(' or ');
  return { ok: false, reason: `cannot ${action} an experiment that is ${status}: only a ${allowed} experiment can be ${PAST[action]}` };
}

const PAST: Record<Action, string> = {
  start: 'started',
  pause: 'paused',
  resume: 'resumed',
  complete: 'completed',
  archive: 'archived',
};

/** An archived experiment is a read-only record. */
export function isEditable(status: ExperimentStatus): boolean {
  return status !== 'archived';
}
