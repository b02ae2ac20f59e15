import { z } from 'zod';

const isLoopback = (hostname: string) => hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/** The one place where configuration enters: environment variables, parsed once, failing fast with the field at fault. */
export const configSchema = z
  .object({
    TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('raccordo'),
    SMTP_HOST: z.string().default('localhost'),
    SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(1025),
    SMTP_SECURE: z.stringbool().default(false),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    MAIL_FROM: z.string().default('Raccordo <noreply@raccordo.local>'),
    PUBLIC_URL: z.url().default('http://localhost:3000'),
    HOST: z.string().default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Demo mode seeds one account per role; the embedded default, never production. */
    RACCORDO_DEMO_MODE: z.stringbool().default(true),
    RACCORDO_DEMO_PASSWORD: z.string().min(8).default('raccordo-demo'),
    /** A JSON array of operators; required when demo mode is off. */
    RACCORDO_DIRECTORY_FILE: z.string().optional(),
    /** Effective-dated pathway values (amounts, thresholds, call windows, protocol assumptions): `<kind>.json` each. */
    RACCORDO_PARAMETERS_DIR: z.string().default('config/parameters'),
    /** The MLLP listener for hospital ADT messages (api/hl7.ts); `0` turns it off. */
    RACCORDO_HL7_PORT: z.coerce.number().int().min(0).max(65535).default(2575),
    RACCORDO_HL7_HOST: z.string().default('0.0.0.0'),
    /** The hospital, by its id in the directory's register, whose network sends over MLLP: it opens the discharge cases. */
    RACCORDO_HL7_ORGANISATION: z.string().default('hospital'),
    /**
     * Which discharged patients are homeless: `SEG-field[.component]~regex`, the regex tested case-insensitively on the
     * component (or, without one, on every component) of every repetition of that field. The default reads the
     * address (PID-11), where Italian hospital systems write "senza fissa dimora", "senza dimora" or "S.F.D.".
     */
    RACCORDO_HL7_HOMELESS_RULE: z.string().default(String.raw`PID-11~\bsenza\s+(fissa\s+)?dimora\b|^\s*s\.?\s*f\.?\s*d\.?\s*$`),
    /** Hospital systems' API keys, `hospital-id:key` separated by commas; demo mode adds `demo-hospital`. */
    RACCORDO_HOSPITAL_API_KEYS: z.string().default(''),
    /** Login attempts allowed per client address and minute. */
    RACCORDO_LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
    /** How long a session lasts without use. */
    RACCORDO_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).default(480),
    /** Where the API keeps its open sessions (by token digest), so that a restart logs nobody out; empty: in memory only. */
    RACCORDO_SESSION_FILE: z
      .string()
      .default('data/sessions/sessions.jsonl')
      .transform((file) => file || undefined),
    /** Username and password against the directory (argon2); `false` leaves single sign-on as the only way in. */
    RACCORDO_PASSWORD_LOGIN: z.stringbool().default(true),
    /**
     * Single sign-on (api/oidc.ts): the OpenID provider's issuer URL, with the client Raccordo is registered as there.
     * The three together turn it on. Plain http is accepted only for a provider on this machine (development, tests).
     */
    RACCORDO_OIDC_ISSUER: z
      .url({ abort: true })
      .refine((issuer) => new URL(issuer).protocol === 'https:' || isLoopback(new URL(issuer).hostname), {
        message: 'must be an https URL (http only for a provider on this machine)',
      })
      .optional(),
    RACCORDO_OIDC_CLIENT_ID: z.string().min(1).optional(),
    RACCORDO_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    /** The claim that holds the operator's id in the directory; `sub` if the directory is keyed by the provider's subjects. */
    RACCORDO_OIDC_USERNAME_CLAIM: z.string().min(1).default('preferred_username'),
    /** Scopes asked of the provider: they must make it release the username claim. */
    RACCORDO_OIDC_SCOPE: z
      .string()
      .refine((scope) => scope.split(' ').includes('openid'), { message: 'must include openid' })
      .default('openid profile'),
    /** Payload encryption keys (worker/codec.ts), `id:base64key` separated by commas: the first encrypts, all decrypt. */
    RACCORDO_PAYLOAD_KEYS: z.string().optional(),
    /** Or a JSON key file `{ "active": "id", "keys": { "id": "base64key" } }`; `npm start` creates data/payload-keys.json. */
    RACCORDO_PAYLOAD_KEY_FILE: z.string().optional(),
    /** Roles whose sessions may use the codec endpoint, i.e. read decrypted case data in the Temporal UI; comma-separated. */
    RACCORDO_CODEC_ROLES: z.string().default('social-service-head'),
    /** The Temporal UI's origin: the only one allowed to call the codec endpoint from a browser. */
    TEMPORAL_UI_ORIGIN: z.url().default('http://localhost:8233'),
    /** The register of accesses to cases (api/audit.ts): append-only JSON Lines, to be kept at least 24 months. */
    RACCORDO_AUDIT_FILE: z.string().min(1).default('data/audit/audit.jsonl'),
    /** Roles that may read who accessed a case (GET /api/cases/:ref/accesses), comma-separated. */
    RACCORDO_AUDIT_ROLES: z.string().default('social-service-head'),
    /**
     * Cases a worker keeps in memory between their tasks (the SDK's sticky cache); one not kept is replayed from its
     * history when it next has work. ~0.3 MiB each, and more while evicted ones await collection (`npm run bench`:
     * with 1,000 a worker holding 10,000 open cases peaked at 957 MiB): 500 keep it well under 1 GiB. Replaying a case
     * costs a few milliseconds, its charts being built once per worker.
     */
    RACCORDO_MAX_CACHED_CASES: z.coerce.number().int().min(1).default(500),
    /**
     * Where people ask about their data and who read it (GDPR art. 15 and 26): an e-mail address, a web address or a
     * sentence, shown on every page. Required when demo mode is off.
     */
    RACCORDO_PRIVACY_CONTACT: z.string().trim().min(1).max(300).optional(),
    /**
     * The case record (record/): persons, cases, timelines, in PostgreSQL. `npm start` and the tests run an embedded
     * one; production a `raccordo` database with its own user, e.g. postgres://raccordo:secret@postgresql:5432/raccordo.
     */
    DATABASE_URL: z.string().min(1).optional(),
    /** Connections each process keeps open to the record. */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(10),
    /**
     * The key of the record's blind indexes (HMAC-SHA256 over fiscal codes and names), `id:base64key`; or a key file in
     * the payload keys' format. Never rotated in place: a new key means re-indexing every person.
     */
    RACCORDO_INDEX_KEY: z.string().optional(),
    RACCORDO_INDEX_KEY_FILE: z.string().optional(),
    /** How long the record keeps a case after it closes, per pathway, dated (record/retention.ts). */
    RACCORDO_RETENTION_FILE: z.string().default('config/retention.json'),
    /** Days Temporal keeps a closed case's history (the namespace's retention); the record keeps the case after that. */
    TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The API's log, appended line by line; unset: standard output. */
    LOG_FILE: z.string().min(1).optional(),
  })
  .superRefine((config, context) => {
    const oidcVariables = ['RACCORDO_OIDC_ISSUER', 'RACCORDO_OIDC_CLIENT_ID', 'RACCORDO_OIDC_CLIENT_SECRET'] as const;
    const missing = oidcVariables.filter((name) => config[name] === undefined);
    // Half a single sign-on configuration is a mistake to report, not a reason to start without it.
    if (missing.length > 0 && missing.length < oidcVariables.length) {
      const present = oidcVariables.find((name) => config[name] !== undefined);
      for (const name of missing) context.addIssue({ code: 'custom', path: [name], message: `required when ${present} is set` });
    }
    if (!config.RACCORDO_PASSWORD_LOGIN && missing.length > 0) {
      context.addIssue({ code: 'custom', path: ['RACCORDO_PASSWORD_LOGIN'], message: 'false needs single sign-on (RACCORDO_OIDC_*), or nobody can log in' });
    }
  });

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  return parsed.data;
}
