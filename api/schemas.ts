import { z } from 'zod';

/**
 * The shapes of the API's answers that the pages read, declared once: the routes serve them as response schemas
 * (and so in the OpenAPI document), and the browser modules take their types from here (JSDoc imports). Pure: zod only.
 * A case itself is machines/projection.ts's `caseProjectionSchema`.
 */

/** Every refusal of the API has this shape: a stable code, an Italian message and, for bad input, the fields at fault. */
export const errorSchema = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiErrorBody = z.infer<typeof errorSchema>;

export const sessionUserSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  roles: z.array(z.string()),
  /** The Italian names of the person's roles, for the role switch: the pathways of the active role may name none of the others. */
  roleLabels: z.record(z.string(), z.string()),
  organisation: z.string(),
});

export const loginMethodsSchema = z.object({
  /** Username and password (POST /api/session). */
  password: z.boolean(),
  /** Single sign-on with the OpenID provider (GET /api/session/oidc). */
  oidc: z.boolean(),
});
export type LoginMethods = z.infer<typeof loginMethodsSchema>;

export const pathwaySummarySchema = z.object({
  kind: z.string(),
  version: z.string(),
  title: z.string(),
  /** The JSON Schema of the start form. */
  startSchema: z.record(z.string(), z.unknown()),
  /** Every role of the pathway, with its Italian name. */
  roles: z.record(z.string(), z.string()),
  canStart: z.boolean(),
  /** The form's field that says who the case is about, where the role may be shown that person already known. */
  personField: z.string().optional(),
});
export type PathwaySummary = z.infer<typeof pathwaySummarySchema>;

export const caseSummarySchema = z.object({
  caseRef: z.string(),
  kind: z.string(),
  title: z.string(),
  state: z.string(),
  stateLabel: z.string(),
  pendingRoles: z.array(z.string()),
  /** The Italian names of `pendingRoles`, in the same order. */
  pendingRoleLabels: z.array(z.string()),
  nextDeadline: z.string().optional(),
  overdue: z.boolean(),
  closed: z.boolean(),
  startedAt: z.string(),
  /** Who the case is about, for roles that may read it: a name, or the pseudonym she chose. */
  name: z.string().optional(),
  /** The person's page (GET /api/persons/:id), where the name is a person's and not a pseudonym. */
  personId: z.string().optional(),
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

export const casePageSchema = z.object({
  cases: z.array(caseSummarySchema),
  /** Pass it as `cursor` for the next page; absent on the last one. */
  nextCursor: z.string().optional(),
});
export type CasePage = z.infer<typeof casePageSchema>;

export const personPageSchema = z.object({
  id: z.string(),
  name: z.string(),
  birthDate: z.string().optional(),
  fiscalCode: z.string().optional(),
  documents: z.array(z.object({ kind: z.string(), label: z.string(), number: z.string().optional() })),
  /** Every case about the person that the viewer may see, newest first. */
  cases: z.array(caseSummarySchema),
  nextCursor: z.string().optional(),
});
export type PersonPage = z.infer<typeof personPageSchema>;

/** The person a case being opened would be linked to, shown on the form before it is sent. */
export const personMatchSchema = z.object({
  match: z.object({ id: z.string(), name: z.string(), birthDate: z.string().optional(), cases: z.array(caseSummarySchema) }).nullable(),
});
export type PersonMatch = z.infer<typeof personMatchSchema>;

export const taskSchema = z.object({
  caseRef: z.string(),
  kind: z.string(),
  title: z.string(),
  stateLabel: z.string(),
  role: z.string(),
  roleLabel: z.string(),
  nextDeadline: z.string().optional(),
  overdue: z.boolean(),
});

/** What a host that declined a case reads instead of it: it is no longer theirs to see. */
export const handedBackSchema = z.object({ caseRef: z.string(), handedBack: z.literal(true), message: z.string() });
export type Task = z.infer<typeof taskSchema>;
export type SessionUserView = z.infer<typeof sessionUserSchema>;
export type HandedBack = z.infer<typeof handedBackSchema>;
