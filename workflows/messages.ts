import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor, CaseSettings } from '../machines/case.js';
import type { CaseState, DeliveryAlert, EventRequest, TimelineEntry } from '../machines/case-state.js';

/** Messages shared by the workflow, the worker and the API: declared once. */

export interface CaseStart {
  caseRef: string;
  kind: string;
  version: string;
  data: unknown;
  startedBy: Actor;
  settings: CaseSettings;
  /**
   * The organisations that co-own the case from the start, by register id: only they and those it is handed over to
   * may read it, act on it or be notified of it.
   */
  coOwners?: string[];
  /** Continue as new once history passes this many events (default: when Temporal suggests it). */
  continueAsNewAfterEvents?: number;
  /** Filled by the workflow itself when it continues as new. */
  carried?: CarriedState;
}

export interface PendingTimer {
  id: string;
  event: { type: string } & Record<string, unknown>;
  /** Absolute due time in epoch ms: xstate does not restore delays, so the interpreter re-arms from this. */
  dueAt: number;
}

export interface PendingEffect {
  seq: number;
  type: string;
  params: Record<string, unknown>;
}

export interface CarriedState {
  persistedSnapshot: unknown;
  startedAt: string;
  timers: PendingTimer[];
  timeline: TimelineEntry[];
  alerts: DeliveryAlert[];
  effects: PendingEffect[];
  nextEffectSeq: number;
  /** The organisations the case was handed over to and not handed back by (register ids). */
  handedOver?: string[];
  /** How many timeline entries the case record had. */
  recorded?: number;
  /** How many times the case had continued as new before the run that carried this. */
  run?: number;
}

/** An event from a person or a system; the update answers with the case as it now is. */
export const sendEvent = defineUpdate<CaseState, [EventRequest]>('sendEvent');
/**
 * Answers once the case record shows the case as it now is: the backfill sends it to cases opened before the record
 * existed, which write themselves then.
 */
export const caseRecorded = defineUpdate<CaseState>('caseRecorded');
/** The whole case, for the API's projection of it (machines/projection.ts). */
export const caseState = defineQuery<CaseState>('caseState');
