import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor, CaseSettings } from '../machines/case.js';
import type { PendingSignoff, RecordedDecision } from '../machines/signoff.js';

/** Messages shared by the workflow, the worker and the API: declared once. */

export interface EventRequest {
  type: string;
  payload: unknown;
  /** The authenticated operator: set by the API from the session, never taken from the client's body. */
  actor: Actor;
}

export interface TimelineEntry {
  at: string;
  event: string;
  label: string;
  actor?: { id: string; role: string };
  from: string;
  to: string;
}

/** A notification that reached nobody: an address refused for good, or a role nobody holds. */
export interface DeliveryAlert {
  at: string;
  kind: 'undeliverable' | 'unstaffed';
  operators?: string[];
  roles?: string[];
}

export interface CaseView {
  caseRef: string;
  kind: string;
  version: string;
  title: string;
  status: 'active' | 'done';
  /** The top-level state. */
  state: string;
  stateLabel: string;
  /** Every active leaf state, dotted, with its label. */
  activeStates: { path: string; label: string }[];
  allowedEvents: { type: string; label: string }[];
  pendingSignoffs: PendingSignoff[];
  rounds: { id: string; label: string; openedAt: string; dueAt: string; closedAt?: string; decisions: Record<string, RecordedDecision> }[];
  /** Procedural deadlines still running or suspended. */
  deadlines: { id: string; label: string; dueAt: string; suspended: boolean }[];
  nextDeadline?: string;
  outcome?: string;
  startedBy: Actor;
  startedAt: string;
  data: unknown;
  timeline: TimelineEntry[];
  alerts: DeliveryAlert[];
  /** The organisations that co-own the case, by register id; absent on cases opened before co-ownership existed. */
  coOwners?: string[];
}

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
}

/**
 * Whether an organisation may reach a case (read it, act on it, hear of it): only its co-owners may, except on cases
 * opened before co-ownership, which record none.
 */
export const coOwnedBy = (coOwners: readonly string[] | undefined, organisation: string): boolean =>
  !coOwners || coOwners.includes(organisation);

/** Why an event was refused, as an ApplicationFailure type: the API maps each to its HTTP status. */
export const rejection = {
  unknownEvent: 'UnknownEvent',
  invalidPayload: 'InvalidPayload',
  roleNotAllowed: 'RoleNotAllowed',
  notAllowedNow: 'NotAllowedNow',
  /** The sender's organisation does not co-own the case: to them, the case does not exist. */
  notCoOwner: 'CaseNotFound',
} as const;

export interface FieldIssue {
  path: string;
  message: string;
}

export const sendEvent = defineUpdate<CaseView, [EventRequest]>('sendEvent');
export const caseView = defineQuery<CaseView, [{ role?: string }?]>('caseView');
