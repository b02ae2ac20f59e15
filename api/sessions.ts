import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/** Who a session is and in which role, until when: the operator's name and organisation are the directory's to say. */
export interface StoredSession {
  id: string;
  role: string;
  expiresAt: number;
  /** Opened by single sign-on: logging out ends the provider's session too. */
  viaProvider?: boolean;
}

const lineSchema = z.union([
  z.object({ token: z.string(), id: z.string(), role: z.string(), expiresAt: z.number(), viaProvider: z.boolean().optional() }),
  z.object({ token: z.string(), ended: z.literal(true) }),
]);

/** A sliding expiry is written down at most this often: not on every request. */
const EXPIRY_WRITE_INTERVAL_MS = 60_000;

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The open sessions, kept in a JSON Lines file so that a restart of the API logs nobody out. A line names a session by
 * the SHA-256 of its token, never the token itself: reading the file lets nobody in. Each change is a line appended;
 * opening the file keeps only the live sessions and rewrites it with them. Without a file, sessions end with the process.
 */
export class SessionStore {
  /** By token digest: the session, and the expiry the file last has for it, which the sliding one runs ahead of. */
  private readonly sessions = new Map<string, { session: StoredSession; writtenExpiresAt: number }>();
  /** Lines written since the file last held only live sessions. */
  private appended = 0;

  constructor(private readonly file: string | undefined) {
    if (!file || !existsSync(file)) return;
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      // A line cut short by a crash, or otherwise unreadable, stands for no session.
      const parsed = text ? lineSchema.safeParse(safeJson(text)) : undefined;
      if (!parsed?.success) continue;
      const { token, ...session } = parsed.data;
      if ('ended' in session) this.sessions.delete(token);
      else this.sessions.set(token, { session, writtenExpiresAt: session.expiresAt });
    }
    this.compact();
  }

  get(token: string): StoredSession | undefined {
    const entry = this.sessions.get(digest(token));
    return entry && { ...entry.session };
  }

  /** A new session, or one now acting in another role. */
  save(token: string, session: StoredSession): void {
    const key = digest(token);
    this.sessions.set(key, { session: { ...session }, writtenExpiresAt: session.expiresAt });
    this.append({ token: key, ...session });
  }

  /** Slides the session's expiry. */
  extend(token: string, expiresAt: number): void {
    const key = digest(token);
    const entry = this.sessions.get(key);
    if (!entry) return;
    entry.session.expiresAt = expiresAt;
    if (expiresAt - entry.writtenExpiresAt < EXPIRY_WRITE_INTERVAL_MS) return;
    entry.writtenExpiresAt = expiresAt;
    this.append({ token: key, ...entry.session });
  }

  end(token: string): void {
    const key = digest(token);
    if (this.sessions.delete(key)) this.append({ token: key, ended: true });
  }

  private append(line: z.infer<typeof lineSchema>): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    // Every active session adds a line a minute: the file is rewritten before it is mostly history.
    if (++this.appended > 1000 + 4 * this.sessions.size) this.compact();
  }

  /** Rewrites the file with the live sessions only, atomically. */
  private compact(): void {
    const now = Date.now();
    for (const [token, entry] of this.sessions) {
      if (entry.session.expiresAt < now) this.sessions.delete(token);
      else entry.writtenExpiresAt = entry.session.expiresAt;
    }
    const live = [...this.sessions].map(([token, { session }]) => `${JSON.stringify({ token, ...session })}\n`);
    mkdirSync(dirname(this.file!), { recursive: true });
    writeFileSync(`${this.file}.new`, live.join(''), { mode: 0o600 });
    renameSync(`${this.file}.new`, this.file!);
    this.appended = 0;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
