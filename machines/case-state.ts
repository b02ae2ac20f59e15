import type { StateValue } from 'xstate';
import type { Actor } from './case.js';
import type { CaseContext } from './case-setup.js';

/**
 * What a case is, as the workflow keeps it: everything any viewer's projection is computed from
 * (machines/projection.ts). It holds the person's data: only the API and the worker ever see it whole.
 */
export interface CaseState {
  caseRef: string;
  kind: string;
  version: string;
  status: 'active' | 'done';
  /** The chart's state and context, as xstate persists them: the projection resolves a snapshot from them. */
  value: StateValue;
  context: CaseContext<unknown>;
  startedAt: string;
  timeline: TimelineEntry[];
  alerts: DeliveryAlert[];
  /** The organisations that co-own the case, by register id; absent on cases opened before co-ownership existed. */
  coOwners?: string[];
}

/**
 * What a case is filed and found by, as the workflow computes it after each transition: the same values go to
 * Temporal's search attributes and to the case record's columns.
 */
export interface CaseIndex {
  activePaths: string[];
  pendingRoles: string[];
  nextDeadline?: string;
  /** The co-owners by register id, or the pathway's organisation types on cases from before co-ownership. */
  organisations: string[];
}

export interface TimelineEntry {
  at: string;
  event: string;
  actor?: { id: string; role: string };
  /** The top-level state left and entered ('' for the opening entry). */
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

/** An event from a person or a system, as the API hands it to the case. */
export interface EventRequest {
  type: string;
  payload: unknown;
  /** The authenticated operator: set by the API from the session, never taken from the client's body. */
  actor: Actor;
  /**
   * The register's type of each organisation the payload hands the case over to, by id, looked up by the API: the
   * workflow has no register, and refuses a hand-over to an organisation missing here or of another type.
   */
  registered?: Record<string, string>;
}

/** Dotted leaf paths of a state value: `{ a: { b: 'c' } }` → `['a.b.c']`. */
export function leafPaths(value: StateValue, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  return Object.entries(value).flatMap(([key, child]) =>
    child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? [prefix + key] : leafPaths(child, `${prefix}${key}.`),
  );
}

/** Every active state with its ancestors, dotted: what a list may filter on at any depth. */
export function activePaths(value: StateValue): string[] {
  return [...new Set(leafPaths(value).flatMap((leaf) => leaf.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))))].sort();
}

/** The top-level state (states of a parallel root joined by commas). */
export const topLevelState = (value: StateValue): string => (typeof value === 'string' ? value : Object.keys(value).join(','));
