import { addWorkingDays, workingDaysBetween, type WorkingCalendar } from './calendar.js';

/**
 * A procedural deadline that can be suspended and resumed: Italian administrative procedure stops the clock
 * while the office waits for documents from the applicant, and the remaining time runs again when they arrive.
 * Deadlines set by law in hours (the violence pathway) count hours; the others count working days.
 */
export type DeadlineLength = { workingDays: number } | { hours: number };

export interface DeadlineSpec {
  id: string;
  /** Italian, shown on the case page. */
  label: string;
  length: DeadlineLength;
}

export interface DeadlineClock {
  spec: DeadlineSpec;
  startedAt: string;
  /** While running: when it expires. While suspended: when it would have expired. */
  dueAt: string;
  suspendedAt?: string;
  /** What was left when the clock was suspended, in the spec's unit. */
  remaining?: number;
  stoppedAt?: string;
}

const HOUR = 3_600_000;
const iso = (epochMs: number) => new Date(epochMs).toISOString();

function dueAfter(length: DeadlineLength, amount: number, from: number, calendar: WorkingCalendar): number {
  return 'hours' in length ? from + amount * HOUR : addWorkingDays(from, amount, calendar);
}

export function startDeadline(spec: DeadlineSpec, now: number, calendar: WorkingCalendar): DeadlineClock {
  const amount = 'hours' in spec.length ? spec.length.hours : spec.length.workingDays;
  return { spec, startedAt: iso(now), dueAt: iso(dueAfter(spec.length, amount, now, calendar)) };
}

export function suspendDeadline(clock: DeadlineClock, now: number, calendar: WorkingCalendar): DeadlineClock {
  if (clock.suspendedAt || clock.stoppedAt) return clock;
  const due = Date.parse(clock.dueAt);
  const remaining = 'hours' in clock.spec.length ? Math.max(0, (due - now) / HOUR) : Math.max(0, workingDaysBetween(now, due, calendar));
  return { ...clock, suspendedAt: iso(now), remaining };
}

export function resumeDeadline(clock: DeadlineClock, now: number, calendar: WorkingCalendar): DeadlineClock {
  if (!clock.suspendedAt || clock.stoppedAt) return clock;
  const { suspendedAt: _suspendedAt, remaining = 0, ...running } = clock;
  // A working-day deadline needs at least one working day after the documents arrive.
  const amount = 'hours' in clock.spec.length ? remaining : Math.max(1, remaining);
  return { ...running, dueAt: iso(dueAfter(clock.spec.length, amount, now, calendar)) };
}

export const isRunning = (clock: DeadlineClock) => !clock.suspendedAt && !clock.stoppedAt;
