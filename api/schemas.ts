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
  startedAt: z.string().optional(),
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

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
