import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { coOwnedBy } from '../machines/access.js';
import { pathways } from '../machines/registry.js';
import type { Config } from './config.js';

/** What operators, hospital systems and hand-over events name: never a person, only ids, types and areas. */
const organisationId = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'Identificativo di organizzazione non valido');

/** Every area a protocol can cover: an organisation with it co-owns the cases of every territory. */
const EVERY_AREA = '*';

export const organisationSchema = z.object({
  id: organisationId,
  /** Italian name, shown where a person picks an organisation (the host company of a placement). */
  name: z.string().min(1),
  /** What the pathways ask for: `municipality`, `health-authority`, `hospital`, `cav`, `host`, `justice`, `facility`, … */
  type: z.string().min(1),
  /**
   * The areas (an Ambito's or a Comune's code) whose protocols the organisation signed. Organisations that share an area
   * are partners: a case one of them opens is co-owned by its partners of the types the pathway names.
   */
  territory: z.array(z.string().min(1)).min(1, 'Indicare almeno un’area, o "*" per tutte'),
});
export type Organisation = z.infer<typeof organisationSchema>;

export const operatorSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  email: z.email(),
  roles: z.array(z.string().min(1)).min(1),
  /** The id of the operator's organisation in the register. */
  organisation: organisationId,
  /** argon2 hash of the operator's password for local login; absent when the operator signs in elsewhere. */
  passwordHash: z.string().startsWith('$argon2').optional(),
});
export type Operator = z.infer<typeof operatorSchema>;

/** The directory file: the register of organisations, and the operators who belong to them. */
export const directoryFileSchema = z
  .object({ organisations: z.array(organisationSchema).min(1), operators: z.array(operatorSchema) })
  .superRefine(({ organisations, operators }, context) => {
    const ids = new Set<string>();
    organisations.forEach(({ id }, index) => {
      if (ids.has(id)) context.addIssue({ code: 'custom', path: ['organisations', index, 'id'], message: `Organizzazione ripetuta: ${id}` });
      ids.add(id);
    });
    operators.forEach(({ id, organisation }, index) => {
      if (!ids.has(organisation)) {
        context.addIssue({
          code: 'custom',
          path: ['operators', index, 'organisation'],
          message: `L’operatore ${id} appartiene a un’organizzazione non registrata: ${organisation}`,
        });
      }
    });
  });
type DirectoryFile = z.infer<typeof directoryFileSchema>;

export interface Directory {
  operators: readonly Operator[];
  organisations: readonly Organisation[];
  byId(id: string): Operator | undefined;
  organisation(id: string): Organisation | undefined;
  /** The holders of a role; given a case's co-owners, only those who belong to one of them. */
  withRole(role: string, coOwners?: readonly string[]): Operator[];
  /** The organisations of these types that share an area with this one: its partners under a protocol. */
  partnersOf(organisation: Organisation, types: readonly string[]): Organisation[];
}

const sharesAnArea = (one: Organisation, other: Organisation) =>
  one.territory.includes(EVERY_AREA) || other.territory.includes(EVERY_AREA) || one.territory.some((area) => other.territory.includes(area));

export function createDirectory({ organisations, operators }: DirectoryFile): Directory {
  const ids = new Map(operators.map((operator) => [operator.id, operator]));
  const registered = new Map(organisations.map((organisation) => [organisation.id, organisation]));
  return {
    operators,
    organisations,
    byId: (id) => ids.get(id),
    organisation: (id) => registered.get(id),
    withRole: (role, coOwners) => operators.filter((operator) => operator.roles.includes(role) && coOwnedBy(coOwners, operator.organisation)),
    partnersOf: (organisation, types) =>
      organisations.filter((other) => other.id !== organisation.id && types.includes(other.type) && sharesAnArea(organisation, other)),
  };
}

/** Every role any registered pathway names, with its Italian name. */
export function knownRoles(): Map<string, string> {
  return new Map(pathways.flatMap((pathway) => Object.entries(pathway.roles)));
}

/** Demo mode's register: one organisation of each type, all partners across every area. */
const demoOrganisations: readonly Organisation[] = [
  { id: 'municipality', name: 'Comune (demo)', type: 'municipality', territory: [EVERY_AREA] },
  { id: 'health-authority', name: 'ASST (demo)', type: 'health-authority', territory: [EVERY_AREA] },
  { id: 'hospital', name: 'Ospedale (demo)', type: 'hospital', territory: [EVERY_AREA] },
  // The hospital system of demo mode's API key.
  { id: 'demo-hospital', name: 'Ospedale collegato via API (demo)', type: 'hospital', territory: [EVERY_AREA] },
  { id: 'cav', name: 'Centro antiviolenza (demo)', type: 'cav', territory: [EVERY_AREA] },
  { id: 'host', name: 'Cooperativa ospitante (demo)', type: 'host', territory: [EVERY_AREA] },
  { id: 'justice', name: 'UEPE (demo)', type: 'justice', territory: [EVERY_AREA] },
  { id: 'facility', name: 'Struttura di accoglienza (demo)', type: 'facility', territory: [EVERY_AREA] },
  { id: 'employment-centre', name: 'Centro per l’impiego (demo)', type: 'employment-centre', territory: [EVERY_AREA] },
];

const demoOrganisationOfRole: Record<string, string> = {
  'social-worker': 'municipality',
  'emergency-social-service': 'municipality',
  ward: 'hospital',
  'cav-operator': 'cav',
  'host-company': 'host',
  probation: 'justice',
  'receiving-facility': 'facility',
  'employment-centre': 'employment-centre',
};

/** Demo mode: one operator per role, the username being the role's name, so that every role can be tried at once. */
export function demoDirectory(): Directory {
  return createDirectory({
    organisations: [...demoOrganisations],
    operators: [...knownRoles()].map(([role, label]) => ({
      id: role,
      name: `${label} (demo)`,
      email: `${role}@demo.raccordo.local`,
      roles: [role],
      organisation: demoOrganisationOfRole[role] ?? 'health-authority',
    })),
  });
}

/** Demo mode seeds one operator per role; otherwise the directory is a JSON file of organisations and operators. */
export function loadDirectory(config: Pick<Config, 'RACCORDO_DIRECTORY_FILE' | 'RACCORDO_DEMO_MODE'>): Directory {
  if (config.RACCORDO_DIRECTORY_FILE) {
    const parsed = directoryFileSchema.safeParse(JSON.parse(readFileSync(config.RACCORDO_DIRECTORY_FILE, 'utf8')));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new Error(`RACCORDO_DIRECTORY_FILE ${config.RACCORDO_DIRECTORY_FILE} is invalid (${problems})`);
    }
    return createDirectory(parsed.data);
  }
  if (config.RACCORDO_DEMO_MODE) return demoDirectory();
  throw new Error('RACCORDO_DIRECTORY_FILE is required when demo mode is off');
}
