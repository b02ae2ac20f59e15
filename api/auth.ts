import argon2 from 'argon2';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Directory, Operator } from '../platform/directory.js';
import type { Actor } from '../machines/case.js';
import type { Config } from '../platform/config.js';
import { SessionStore } from './sessions.js';

export interface SessionUser extends Actor {
  name: string;
  /** Every role the directory gives the operator; `role` is the one they act in now, the first until they switch. */
  roles: string[];
}

export const DEMO_HOSPITAL_API_KEY = 'raccordo-demo-hospital-key';
export const DEMO_HOSPITAL = 'demo-hospital';

const userOf = (operator: Operator, role = operator.roles[0]!): SessionUser => ({
  id: operator.id,
  name: operator.name,
  role,
  roles: operator.roles,
  organisation: operator.organisation,
});

/**
 * Hospital systems authenticate with a key; the events they send carry the ward role of their hospital, which must be
 * in the register: the cases it opens are co-owned by it and its partners.
 */
function parseApiKeys(config: Config, directory: Directory): Map<string, Actor> {
  const keys = new Map<string, Actor>();
  const entries = config.RACCORDO_HOSPITAL_API_KEYS.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const separator = entry.indexOf(':');
    if (separator < 1 || separator === entry.length - 1) throw new Error('RACCORDO_HOSPITAL_API_KEYS: each entry must be hospital-id:key');
    const hospital = entry.slice(0, separator);
    if (!directory.organisation(hospital)) throw new Error(`RACCORDO_HOSPITAL_API_KEYS: ${hospital} is not in the directory's register of organisations`);
    keys.set(entry.slice(separator + 1), { id: `system:${hospital}`, role: 'ward', organisation: hospital });
  }
  if (config.RACCORDO_DEMO_MODE && directory.organisation(DEMO_HOSPITAL))
    keys.set(DEMO_HOSPITAL_API_KEY, { id: `system:${DEMO_HOSPITAL}`, role: 'ward', organisation: DEMO_HOSPITAL });
  return keys;
}

export async function createAuth(config: Config, directory: Directory) {
  // Demo accounts share one password: hash it once, so that every login still pays for a real argon2 verification.
  const demoHash = config.RACCORDO_DEMO_MODE ? await argon2.hash(config.RACCORDO_DEMO_PASSWORD) : undefined;
  // Unknown usernames are verified against this too, so that timing does not tell which accounts exist.
  const decoyHash = demoHash ?? (await argon2.hash(randomBytes(16).toString('hex')));
  const apiKeys = parseApiKeys(config, directory);
  const sessions = new SessionStore(config.RACCORDO_SESSION_FILE);
  const idleMs = config.RACCORDO_SESSION_IDLE_MINUTES * 60_000;

  return {
    async login(username: string, password: string): Promise<SessionUser | undefined> {
      const operator = directory.byId(username);
      const hash = operator?.passwordHash ?? (operator ? demoHash : undefined);
      const valid = await argon2.verify(hash ?? decoyHash, password).catch(() => false);
      return valid && operator && hash ? userOf(operator) : undefined;
    },

    /** The directory's operator with this username, for a login that another system vouched for (single sign-on). */
    operatorNamed(username: string): SessionUser | undefined {
      const operator = directory.byId(username);
      return operator && userOf(operator);
    },

    openSession(user: SessionUser, { viaProvider = false } = {}): string {
      const token = randomBytes(32).toString('base64url');
      sessions.save(token, { id: user.id, role: user.role, expiresAt: Date.now() + idleMs, ...(viaProvider ? { viaProvider } : {}) });
      return token;
    },

    /**
     * The session's user, sliding its expiry. Name, organisation and roles come from the directory as it is now: an
     * operator who left it, or lost the role they act in, is logged out.
     */
    session(token: string | undefined): SessionUser | undefined {
      const session = token ? sessions.get(token) : undefined;
      if (!token || !session) return undefined;
      const operator = directory.byId(session.id);
      if (session.expiresAt < Date.now() || !operator?.roles.includes(session.role)) {
        sessions.end(token);
        return undefined;
      }
      sessions.extend(token, Date.now() + idleMs);
      return userOf(operator, session.role);
    },

    /** The session's user acting in another of their roles from now on; undefined for a role the directory does not give them. */
    switchRole(token: string | undefined, role: string): SessionUser | undefined {
      const session = token ? sessions.get(token) : undefined;
      const operator = session && directory.byId(session.id);
      if (!token || !session || !operator?.roles.includes(role)) return undefined;
      sessions.save(token, { ...session, role });
      return userOf(operator, role);
    },

    /** Ends the session; says whether single sign-on opened it, so that the provider's session ends too. */
    closeSession(token: string | undefined): { viaProvider: boolean } {
      const session = token ? sessions.get(token) : undefined;
      if (token) sessions.end(token);
      return { viaProvider: !!session?.viaProvider };
    },

    hospitalSystem(authorization: string | undefined): Actor | undefined {
      const key = authorization?.match(/^Bearer (.+)$/)?.[1];
      if (!key) return undefined;
      for (const [known, actor] of apiKeys) {
        if (known.length === key.length && timingSafeEqual(Buffer.from(known), Buffer.from(key))) return actor;
      }
      return undefined;
    },
  };
}

export type Auth = Awaited<ReturnType<typeof createAuth>>;
