import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { breakGlassReasonRefusal, fieldIssues, handOverFields, isRefusalCode, notFound, readAccess, type FieldIssue } from '../machines/access.js';
import { caseSettingsSchema, systemActor, type Actor, type CaseSettings } from '../machines/case.js';
import type { CaseState } from '../machines/case-state.js';
import { valuesInForce, type PathwayParameters } from '../machines/parameters.js';
import type { PathwayDefinition } from '../machines/pathway.js';
import { projectCase, type CaseProjection } from '../machines/projection.js';
import { currentPathway, findPathway, pathways } from '../machines/registry.js';
import type { Directory } from '../platform/directory.js';
import { awaitFiling, readCase } from '../record/cases.js';
import type { CaseRecord } from '../record/record.js';
import type { caseWorkflow } from '../workflows/case-workflow.js';
import { caseState, sendEvent, type CaseStart } from '../workflows/messages.js';
import { CaseError, refusalError } from './errors.js';

// Crockford's base32 without I, L, O, U: references are read aloud on the phone and copied by hand.
const referenceAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * One prefix for every pathway: a reference travels in e-mail subjects, shared mailboxes and logs, where a prefix
 * of its own would say "gender-violence case" or "homeless person".
 */
export const CASE_PREFIX = 'RAC';

function randomReference(prefix: string, now: Date): string {
  const suffix = Array.from({ length: 6 }, () => referenceAlphabet[randomInt(referenceAlphabet.length)]).join('');
  return `${prefix}-${now.getUTCFullYear()}-${suffix}`;
}

/**
 * The reference of a case opened by an external system, derived from its own key (a hospital's encounter id):
 * the same signal always reaches the same case, and the key itself never appears in Temporal.
 */
export function externalReference(prefix: string, externalKey: string): string {
  const digest = createHash('sha256').update(externalKey).digest();
  const suffix = Array.from(digest.subarray(0, 10), (byte) => referenceAlphabet[byte % 32]).join('');
  return `${prefix}-E${suffix}`;
}

export interface StartCaseRequest {
  kind: string;
  data: unknown;
  actor: Actor;
  /** A key from the sending system: the same key twice reaches the same case. */
  externalKey?: string;
  settings?: Partial<CaseSettings>;
  continueAsNewAfterEvents?: number;
}

export interface StartedCase {
  caseRef: string;
  created: boolean;
  /** The case as the record now shows it; absent if no worker filed it in time, or for a case the key had opened before. */
  state?: CaseState;
}

export interface CaseService {
  start(request: StartCaseRequest): Promise<StartedCase>;
  /** Sends an event; the whole case as it now is. */
  act(caseRef: string, type: string, payload: unknown, actor: Actor): Promise<CaseState>;
  /** Sends an event; the case as its sender now sees it (not found, once they handed it back). */
  send(caseRef: string, type: string, payload: unknown, actor: Actor): Promise<CaseProjection>;
  /** The case: live from its workflow while it runs; from the record once it has closed, or its history is gone. */
  state(caseRef: string): Promise<CaseState>;
  /**
   * The case as this viewer sees it (machines/projection.ts), read by breaking the glass when a reason is given; the
   * system, by default, reads all of it and may do nothing.
   */
  view(caseRef: string, viewer?: Actor, breakGlassReason?: string): Promise<CaseProjection>;
  /** The same, for a case state already in hand (the answer to an event). */
  project(state: CaseState, viewer: Actor, breakGlassReason?: string): CaseProjection;
}

export interface CaseServiceOptions {
  /** The register of organisations: who co-owns a case, and whom it may be handed over to. */
  directory: Directory;
  /** Effective-dated pathway values; the ones in force on the start day are pinned in each case. */
  parameters?: PathwayParameters;
  /** The case record, which outlives Temporal's histories. */
  record: CaseRecord;
  /** How long a start waits for the case to be filed; past it, the case is opening and the answer says so. */
  filedWithinMs?: number;
}

export function createCaseService(client: Client, taskQueue: string, options: CaseServiceOptions): CaseService {
  const { directory, record, filedWithinMs = 10_000 } = options;

  /** The opener's organisation and its partners of the types the pathway names for this case (joint controllers). */
  function coOwnersAtStart(pathway: PathwayDefinition, opener: Actor, data: unknown): string[] {
    const organisation = directory.organisation(opener.organisation);
    if (!organisation) {
      throw new CaseError(403, 'UnknownOrganisation', `La tua organizzazione (${opener.organisation}) non è nel registro: un caso non può essere aperto`);
    }
    const types = [
      ...pathway.organisations,
      ...Object.entries(pathway.organisationsWhen ?? {})
        .filter(([, applies]) => (applies as (data: unknown) => boolean)(data))
        .map(([type]) => type),
    ];
    return [organisation.id, ...directory.partnersOf(organisation, types).map((partner) => partner.id)];
  }

  function parametersFor(pathway: PathwayDefinition, day: string): Record<string, unknown> {
    if (!pathway.parametersSchema) return {};
    const values = valuesInForce(options.parameters?.[pathway.kind] ?? [], day);
    const parsed = pathway.parametersSchema.safeParse(values ?? {});
    // A configuration fault, not the caller's: the message says what the administrator must fix.
    if (!parsed.success) {
      const problems = fieldIssues(parsed.error)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ');
      throw new Error(`parameters of ${pathway.kind} in force on ${day} are missing or invalid (${problems})`);
    }
    return parsed.data;
  }

  /** Starts the case, or with an external key finds the one that key already started: true when this call created it. */
  async function startWorkflow(start: CaseStart, idempotent: boolean): Promise<boolean> {
    // The memo holds only a random token: it tells this start apart from an earlier one with the same key.
    const startToken = randomUUID();
    try {
      const handle = await client.workflow.start<typeof caseWorkflow>('caseWorkflow', {
        taskQueue,
        workflowId: start.caseRef,
        args: [start],
        memo: { startToken },
        workflowIdConflictPolicy: idempotent ? 'USE_EXISTING' : 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
      return !idempotent || (await handle.describe()).memo?.startToken === startToken;
    } catch (error) {
      // A closed case with the same key: the signal was already handled, it must not open a second case.
      if (idempotent && error instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw error;
    }
  }

  function handleOf(caseRef: string) {
    return client.workflow.getHandle(caseRef);
  }

  async function exists(caseRef: string): Promise<boolean> {
    try {
      await handleOf(caseRef).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  async function mapErrors<T>(caseRef: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw refusalError(notFound(caseRef));
      const failure = error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure ? error.cause : undefined;
      if (failure && isRefusalCode(failure.type)) {
        throw refusalError({ code: failure.type, message: failure.message, issues: (failure.details?.[0] as FieldIssue[] | undefined) ?? [] });
      }
      throw error;
    }
  }

  /** The register's type of each organisation the payload hands the case over to: the workflow has no register. */
  function registeredIn(type: string, payload: unknown): Record<string, string> | undefined {
    const named = handOverFields(pathways, type)
      .map((field) => (payload as Record<string, unknown> | null)?.[field])
      .filter((id): id is string => typeof id === 'string');
    const found = named.flatMap((id) => {
      const organisation = directory.organisation(id);
      return organisation ? [[id, organisation.type] as const] : [];
    });
    return found.length ? Object.fromEntries(found) : undefined;
  }

  function project(state: CaseState, viewer: Actor, breakGlassReason?: string): CaseProjection {
    const pathway = findPathway(state.kind, state.version);
    if (!pathway) throw new Error(`case ${state.caseRef} runs on an unregistered pathway ${state.kind}@${state.version}`);
    const now = new Date().toISOString();
    if (viewer === systemActor) return projectCase(pathway, state, viewer, { access: 'break-glass', organisations: directory.organisations, now });
    const access = readAccess(pathway, state.caseRef, state.coOwners, viewer, breakGlassReason);
    if ('refusal' in access) throw refusalError(access.refusal);
    return projectCase(pathway, state, viewer, { access: access.mode, organisations: directory.organisations, now });
  }

  return {
    async start(request) {
      const pathway = currentPathway(request.kind);
      if (!pathway) throw new CaseError(400, 'UnknownPathway', `Percorso sconosciuto: ${request.kind}`);
      if (!pathway.startRoles.includes(request.actor.role)) {
        throw new CaseError(403, 'RoleNotAllowed', `Il ruolo ${request.actor.role} non può aprire un caso di questo percorso`);
      }
      const data = pathway.startSchema.safeParse(request.data);
      if (!data.success) throw new CaseError(400, 'InvalidPayload', 'I dati di apertura del caso non sono validi', fieldIssues(data.error));
      const now = new Date();
      const settings = caseSettingsSchema.safeParse({
        ...request.settings,
        parameters: parametersFor(pathway, now.toISOString().slice(0, 10)),
      });
      if (!settings.success) throw new CaseError(400, 'InvalidSettings', 'Impostazioni del caso non valide', fieldIssues(settings.error));
      if (request.externalKey && pathway.legacyCasePrefix) {
        const legacy = externalReference(pathway.legacyCasePrefix, request.externalKey);
        if (await exists(legacy)) return { caseRef: legacy, created: false };
      }
      const caseRef = request.externalKey ? externalReference(CASE_PREFIX, request.externalKey) : randomReference(CASE_PREFIX, now);
      const start: CaseStart = {
        caseRef,
        kind: pathway.kind,
        version: pathway.version,
        data: data.data,
        startedBy: request.actor,
        settings: settings.data,
        ...(request.continueAsNewAfterEvents ? { continueAsNewAfterEvents: request.continueAsNewAfterEvents } : {}),
      };
      const created = await startWorkflow({ ...start, coOwners: coOwnersAtStart(pathway, request.actor, data.data) }, request.externalKey !== undefined);
      // Read-your-writes: the answer waits for the record, within limits. The case exists either way, so that a busy
      // engine gets the reference back and nobody retries into a second case.
      if (!created) return { caseRef, created };
      // The workflow files the case in its first task; waiting on the record costs the engine nothing more.
      const filed = await awaitFiling(record, caseRef, filedWithinMs);
      return { caseRef, created, ...(filed ? { state: filed.state } : {}) };
    },

    async send(caseRef, type, payload, actor) {
      return project(await this.act(caseRef, type, payload, actor), actor);
    },

    act(caseRef, type, payload, actor) {
      const registered = registeredIn(type, payload);
      return mapErrors(caseRef, () => handleOf(caseRef).executeUpdate(sendEvent, { args: [{ type, payload, actor, ...(registered ? { registered } : {}) }] }));
    },

    async state(caseRef) {
      const filed = await readCase(record, caseRef);
      if (filed?.state.status === 'done') return filed.state;
      try {
        return await mapErrors(caseRef, () => handleOf(caseRef).query(caseState));
      } catch (error) {
        // Temporal's retention deleted the history, or an operator did: the record keeps the case.
        if (filed && error instanceof CaseError && error.status === 404) return filed.state;
        throw error;
      }
    },

    async view(caseRef, viewer = systemActor, breakGlassReason) {
      const tooShort = breakGlassReasonRefusal(breakGlassReason);
      if (tooShort) throw refusalError(tooShort);
      return project(await this.state(caseRef), viewer, breakGlassReason);
    },

    project,
  };
}
