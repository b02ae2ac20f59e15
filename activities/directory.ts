import { z } from 'zod';
import { pathways } from '../machines/registry.js';

export const operatorSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  email: z.email(),
  roles: z.array(z.string().min(1)).min(1),
  organisation: z.string().min(1),
  /** Municipalities served; empty means the whole territory of the organisation. */
  territory: z.array(z.string()).default([]),
  /** argon2 hash of the operator's password for local login; absent when the operator signs in elsewhere. */
  passwordHash: z.string().startsWith('$argon2').optional(),
});
export type Operator = z.infer<typeof operatorSchema>;

export interface Directory {
  operators: readonly Operator[];
  byId(id: string): Operator | undefined;
  withRole(role: string): Operator[];
}

export function createDirectory(operators: readonly Operator[]): Directory {
  const ids = new Map(operators.map((operator) => [operator.id, operator]));
  return {
    operators,
    byId: (id) => ids.get(id),
    withRole: (role) => operators.filter((operator) => operator.roles.includes(role)),
  };
}

/** Every role any registered pathway names, with its Italian name. */
export function knownRoles(): Map<string, string> {
  return new Map(pathways.flatMap((pathway) => Object.entries(pathway.roles)));
}

const demoOrganisation: Record<string, string> = {
  'social-worker': 'municipality',
  ward: 'hospital',
  'cav-operator': 'cav',
};

/** Demo mode: one operator per role, the username being the role's name, so that every role can be tried at once. */
export function demoDirectory(): Directory {
  return createDirectory(
    [...knownRoles()].map(([role, label]) => ({
      id: role,
      name: `${label} (demo)`,
      email: `${role}@demo.raccordo.local`,
      roles: [role],
      organisation: demoOrganisation[role] ?? 'health-authority',
      territory: [],
    })),
  );
}
