import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  ApplicationFailure,
  type Client,
} from '@temporalio/client';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Directory } from '../activities/directory.js';
import { caseSettingsSchema, type Actor, type CaseSettings } from '../machines/case.js';
import { valuesInForce, type PathwayParameters } from '../machines/parameters.js';
import type { PathwayDefinition } from '../machines/pathway.js';
import { currentPathway, findPathway, pathways } from '../machines/registry.js';
import { caseWorkflow } from '../workflows/case-workflow.js';
import { searchAttributes } from '../workflows/search-attributes.js';
import { caseView, rejection, sendEvent, type CaseStart, type CaseView, type FieldIssue } from '../workflows/messages.js';

/** An error a caller can act on: an HTTP status, a stable code, an Italian message and, for bad input, the fields. */
export class CaseError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

const rejectionStatus: Record<string, 400 | 403 | 404 | 409> = {
  [rejection.unknownEvent]: 400,
  [rejection.invalidPayload]: 400,
  [rejection.roleNotAllowed]: 403,
  [rejection.notAllowedNow]: 409,
  [rejection.notCoOwner]: 404,
};

export const zodIssues = (error: z.ZodError): FieldIssue[] =>
  error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));

// Crockford's base32 without I, L, O, U: references are read aloud on the phone and copied by hand.
const referenceAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

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

export interface CaseService {
  start(request: StartCaseRequest): Promise<{ caseRef: string; created: boolean }>;
  send(caseRef: string, type: string, payload: unknown, actor: Actor): Promise<CaseView>;
  view(caseRef: string, role?: string): Promise<CaseView>;
}

export interface CaseServiceOptions {
  /** The register of organisations: who co-owns a case, and whom it may be handed over to. */
  directory: Directory;
  /** Effective-dated pathway values; the ones in force on the start day are pinned in each case. */
  parameters?: PathwayParameters;
}

export function createCaseService(client: Client, taskQueue: string, options: CaseServiceOptions): CaseService {
  const { directory } = options;

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

  /**
   * An organisation a case is handed over to must be in the register, and of the type the event hands over to: the
   * workflow cannot look it up. Checked only for the case's co-owners; anyone else learns nothing from the answer.
   */
  async function checkHandOver(caseRef: string, type: string, payload: unknown, actor: Actor): Promise<void> {
    if (!pathways.some((pathway) => pathway.events[type]?.handsOver)) return;
    const attributes = (await handleOf(caseRef).describe()).typedSearchAttributes;
    if (!attributes.get(searchAttributes.organisations)?.includes(actor.organisation)) return;
    const pathway = findPathway(attributes.get(searchAttributes.kind) ?? '', attributes.get(searchAttributes.version) ?? '');
    const handsOver = pathway?.events[type]?.handsOver;
    const named = handsOver && (payload as Record<string, unknown> | null)?.[handsOver.field];
    if (!handsOver || named === undefined || named === '') return;
    if (typeof named === 'string' && directory.organisation(named)?.type === handsOver.organisationType) return;
    throw new CaseError(400, 'InvalidPayload', 'Dati dell’evento non validi', [
      { path: handsOver.field, message: 'Organizzazione non presente nel registro, o di un tipo diverso da quello richiesto' },
    ]);
  }

  function parametersFor(pathway: PathwayDefinition, day: string): Record<string, unknown> {
    if (!pathway.parametersSchema) return {};
    const values = valuesInForce(options.parameters?.[pathway.kind] ?? [], day);
    const parsed = pathway.parametersSchema.safeParse(values ?? {});
    // A configuration fault, not the caller's: the message says what the administrator must fix.
    if (!parsed.success) {
      const problems = zodIssues(parsed.error).map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      throw new Error(`parameters of ${pathway.kind} in force on ${day} are missing or invalid (${problems})`);
    }
    return parsed.data;
  }

  /** Starts the case, or with an external key finds the one that key already started: true when this call created it. */
  async function startWorkflow(start: CaseStart, idempotent: boolean): Promise<boolean> {
    // The memo holds only a random token: it tells this start apart from an earlier one with the same key.
    const startToken = randomUUID();
    try {
      const handle = await client.workflow.start(caseWorkflow, {
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

  async function mapErrors<T>(caseRef: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new CaseError(404, 'CaseNotFound', `Caso ${caseRef} non trovato`);
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        const failure = error.cause;
        const status = failure.type && Object.hasOwn(rejectionStatus, failure.type) ? rejectionStatus[failure.type] : undefined;
        if (status) throw new CaseError(status, failure.type!, failure.message, (failure.details?.[0] as FieldIssue[]) ?? []);
      }
      throw error;
    }
  }

  return {
    async start(request) {
      const pathway = currentPathway(request.kind);
      if (!pathway) throw new CaseError(400, 'UnknownPathway', `Percorso sconosciuto: ${request.kind}`);
      if (!pathway.startRoles.includes(request.actor.role)) {
        throw new CaseError(403, 'RoleNotAllowed', `Il ruolo ${request.actor.role} non può aprire un caso di questo percorso`);
      }
      const data = pathway.startSchema.safeParse(request.data);
      if (!data.success) throw new CaseError(400, 'InvalidPayload', 'I dati di apertura del caso non sono validi', zodIssues(data.error));
      const now = new Date();
      const settings = caseSettingsSchema.safeParse({
        ...request.settings,
        parameters: parametersFor(pathway, now.toISOString().slice(0, 10)),
      });
      if (!settings.success) throw new CaseError(400, 'InvalidSettings', 'Impostazioni del caso non valide', zodIssues(settings.error));
      const caseRef = request.externalKey
        ? externalReference(pathway.casePrefix, request.externalKey)
        : randomReference(pathway.casePrefix, now);
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
      return { caseRef, created };
    },

    send(caseRef, type, payload, actor) {
      return mapErrors(caseRef, async () => {
        await checkHandOver(caseRef, type, payload, actor);
        return handleOf(caseRef).executeUpdate(sendEvent, { args: [{ type, payload, actor }] });
      });
    },

    view(caseRef, role) {
      return mapErrors(caseRef, () => handleOf(caseRef).query(caseView, role ? { role } : undefined));
    },
  };
}
