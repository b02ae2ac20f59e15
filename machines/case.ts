import { z } from 'zod';
import { workingCalendarSchema } from './calendar.js';

/** Who sent an event: always the authenticated operator or system, never what a client claims. */
export const actorSchema = z.object({
  id: z.string().min(1),
  role: z.string().min(1),
  organisation: z.string().min(1),
});
export type Actor = z.infer<typeof actorSchema>;

/** The system itself, when an activity's result or a timer comes back to the case as an event. */
export const systemActor: Actor = { id: 'raccordo', role: 'system', organisation: 'raccordo' };

/** Settings pinned when a case starts, so that a later change of configuration never alters an open case. */
export const caseSettingsSchema = z.object({
  calendar: workingCalendarSchema.default({}),
  /** The pathway's effective-dated values in force on the day the case started (see machines/parameters.ts). */
  parameters: z.record(z.string(), z.unknown()).default({}),
});
export type CaseSettings = z.infer<typeof caseSettingsSchema>;

/** Every event the interpreter feeds a pathway: a validated payload, its actor, and the workflow time it arrived. */
export interface CaseEvent<TType extends string = string, TPayload = unknown> {
  type: TType;
  payload: TPayload;
  actor: Actor;
  /** ISO instant stamped by the interpreter: machines have no clock of their own. */
  at: string;
}

export interface CaseInput<TData> {
  caseRef: string;
  data: TData;
  startedBy: Actor;
  startedAt: string;
  settings: CaseSettings;
}

/** The instant an event arrived; timers' events are stamped too, so every transition knows "now". */
export function eventTime(event: { type: string }): number {
  const at = event.type === 'xstate.init' ? (event as { input?: { startedAt?: unknown } }).input?.startedAt : (event as { at?: unknown }).at;
  if (typeof at !== 'string') throw new Error(`event ${event.type} reached the machine without a time stamp`);
  return Date.parse(at);
}
