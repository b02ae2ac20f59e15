import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BREAK_GLASS_HEADER } from './routes/cases.js';

/**
 * The register of accesses to cases (Garante privacy: who, with which role and organisation, did what to which case,
 * when and why, kept at least 24 months). A JSON Lines file, one entry a line, append-only and hash-chained: each
 * entry's hash covers the previous entry's hash, so that altering, deleting, inserting or reordering an entry breaks
 * the chain from that entry on. Entries hold identifiers only (operator ids, roles, organisations, case references,
 * event types), never the person's data: the register must not become a second copy of the cases.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The case a request created, for routes whose path does not name it (a case start). */
    auditCaseRef?: string;
  }
}

export const auditActions = ['case.read', 'case.start', 'case.event', 'case.list', 'audit.read', 'payload.decode', 'person.read', 'person.match'] as const;
export type AuditAction = (typeof auditActions)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const auditEntrySchema = z
  .object({
    seq: z.number().int().positive(),
    at: z.iso.datetime(),
    actor: z.object({ id: z.string().min(1), role: z.string().min(1), organisation: z.string().min(1) }).strict(),
    action: z.enum(auditActions),
    caseRef: z.string().optional(),
    /** What was done, by type (an event type, a pathway kind, `break-glass`): never payload data. */
    detail: z.string().optional(),
    /** The justification given for a break-glass read. */
    reason: z.string().optional(),
    /** The HTTP status of an API request; `ok`, `denied` or `failed` for accesses that are not HTTP requests (HL7). */
    outcome: z.union([z.number().int(), z.enum(['ok', 'denied', 'failed'])]),
    prevHash: sha256Hex,
    hash: sha256Hex,
  })
  .strict();
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditRecord = Omit<AuditEntry, 'seq' | 'at' | 'prevHash' | 'hash'>;

/** The prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with keys sorted at every level: the same entry always hashes the same, whatever order its fields were built in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function entryHash(entry: Omit<AuditEntry, 'hash'> & { hash?: unknown }): string {
  const { hash: _hash, ...hashed } = entry;
  return createHash('sha256')
    .update(entry.prevHash + canonicalJson(hashed))
    .digest('hex');
}

/** The register cannot be trusted (a truncated or altered last entry): nothing more is appended until someone looks. */
export class AuditIntegrityError extends Error {
  override name = 'AuditIntegrityError';
}

interface ChainHead {
  seq: number;
  hash: string;
  /** The file's size once this entry was written: a different size means another writer appended since. */
  size: number;
}

/**
 * The last entry, read from the end of the file. Only that entry is checked (hash against content): verifying the
 * whole chain at every start would read 24 months of register; `verifyAuditLog` does that on demand.
 */
async function readHead(file: string): Promise<ChainHead> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, hash: GENESIS_HASH, size: 0 };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return { seq: 0, hash: GENESIS_HASH, size: 0 };
    for (let window = 64 * 1024; ; window *= 2) {
      const length = Math.min(window, size);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const text = buffer.toString('utf8');
      if (!text.endsWith('\n')) {
        throw new AuditIntegrityError(`${file}: l’ultima riga è troncata (scrittura interrotta o file tagliato); eseguire npm run audit:verify`);
      }
      const start = text.lastIndexOf('\n', text.length - 2);
      if (start === -1 && length < size) continue;
      const line = text.slice(start + 1, -1);
      let entry: AuditEntry;
      try {
        entry = auditEntrySchema.parse(JSON.parse(line));
      } catch {
        throw new AuditIntegrityError(`${file}: l’ultima voce non è leggibile; eseguire npm run audit:verify`);
      }
      if (entryHash(entry) !== entry.hash) {
        throw new AuditIntegrityError(`${file}: l’ultima voce (n. ${entry.seq}) è stata alterata; eseguire npm run audit:verify`);
      }
      return { seq: entry.seq, hash: entry.hash, size };
    }
  } finally {
    await handle.close();
  }
}

/** After this long a lock is taken to be left by a writer that died: appends take milliseconds. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

/**
 * Exclusive across processes, for the few milliseconds of an append: two API processes (or test files) on one
 * register must not both continue the chain from the same entry. A lock file, because Node has no flock; good on
 * local disks, not on NFS.
 */
async function withFileLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let lock: FileHandle | undefined;
  while (!lock) {
    try {
      lock = await open(lockFile, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await stat(lockFile).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockFile}: registro degli accessi bloccato da un altro processo`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
    }
  }
  try {
    return await work();
  } finally {
    await lock.close();
    await rm(lockFile, { force: true });
  }
}

export interface AuditLog {
  readonly file: string;
  /** Appends an entry once it is on disk (fsync'd); rejects if it cannot be, and the caller must then not serve. */
  append(record: AuditRecord): Promise<AuditEntry>;
  /** Every entry about a case, oldest first: the list of accesses a person may ask for. */
  entriesForCase(caseRef: string): Promise<AuditEntry[]>;
  /** Resolves when every append requested so far has settled. */
  flush(): Promise<void>;
}

/**
 * Opens the register, continuing its chain from the last entry; refuses (AuditIntegrityError) if that entry is
 * truncated or altered, rather than starting a new chain that would hide the damage.
 */
export async function openAuditLog(path: string): Promise<AuditLog> {
  const file = resolve(path);
  const lockFile = `${file}.lock`;
  await mkdir(dirname(file), { recursive: true });
  // Under the lock: another process may be halfway through a line, which is not a truncation.
  let head = await withFileLock(lockFile, () => readHead(file));
  // One writer per process: appends run one after another, each continuing from the one before.
  let queue: Promise<unknown> = Promise.resolve();

  async function write(record: AuditRecord): Promise<AuditEntry> {
    return withFileLock(lockFile, async () => {
      const size = await stat(file).then(
        (info) => info.size,
        () => 0,
      );
      if (size !== head.size) head = await readHead(file);
      const unsigned = { ...record, seq: head.seq + 1, at: new Date().toISOString(), prevHash: head.hash };
      const entry = auditEntrySchema.parse({ ...unsigned, hash: entryHash(unsigned) });
      const line = `${JSON.stringify(entry)}\n`;
      const handle = await open(file, 'a');
      try {
        await handle.write(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (size === 0) await syncDirectory(dirname(file));
      head = { seq: entry.seq, hash: entry.hash, size: size + Buffer.byteLength(line) };
      return entry;
    });
  }

  return {
    file,
    append(record) {
      const appended = queue.then(() => write(record));
      queue = appended.catch(() => undefined);
      return appended;
    },
    async entriesForCase(caseRef) {
      await queue;
      // A full scan of the register: fine for one service's months of accesses; beyond that, an index by case
      // (a side table, or one file per month with a per-case summary) is needed to answer in time.
      const found: AuditEntry[] = [];
      for await (const entry of readEntries(file)) {
        if (entry.caseRef === caseRef) found.push(entry);
      }
      return found;
    },
    async flush() {
      await queue;
    },
  };
}

/** A new file's directory entry must reach the disk too, or a crash can lose the whole file. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems do not sync directories; the file's own fsync is then the best there is.
  } finally {
    await handle.close();
  }
}

/** The readable entries of the register, skipping damaged lines: `verifyAuditLog` is what reports damage. */
async function* readEntries(file: string): AsyncGenerator<AuditEntry> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  try {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      const parsed = auditEntrySchema.safeParse(safeJson(line));
      if (parsed.success) yield parsed.data;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    stream.destroy();
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

export interface AuditVerification {
  ok: boolean;
  /** Entries verified intact, from the first one on. */
  entries: number;
  /** The sequence number the first bad entry should have had. */
  firstBadSeq?: number;
  /** Its line in the file, from 1. */
  line?: number;
  /** Why, in Italian, for the operator reading the verification. */
  problem?: string;
}

/**
 * Walks the whole chain. Detects a changed entry (its hash no longer matches), a deleted, inserted or moved entry
 * (sequence numbers and links to the previous hash no longer follow) and a truncated last line. It cannot detect the
 * removal of the last entries, nor a chain rewritten from some entry onwards by whoever can write the file: that
 * needs the latest hash kept somewhere else (see README, Audit trail).
 */
export async function verifyAuditLog(path: string): Promise<AuditVerification> {
  const file = resolve(path);
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let lineNumber = 0;
  const bad = (problem: string): AuditVerification => ({ ok: false, entries: expectedSeq - 1, firstBadSeq: expectedSeq, line: lineNumber, problem });

  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, entries: 0, problem: `registro non trovato: ${file}` };
    throw error;
  }
  const { size } = await handle.stat();
  const endsWithNewline = size === 0 || (await handle.read(Buffer.alloc(1), 0, 1, size - 1)).buffer[0] === 0x0a;
  await handle.close();

  const stream = createReadStream(file, { encoding: 'utf8' });
  try {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let pendingLine: string | undefined;
    // One line behind, so that the last line is known to be the last (a missing newline there means truncation).
    const check = (line: string, isLast: boolean): AuditVerification | undefined => {
      lineNumber += 1;
      if (isLast && !endsWithNewline) return bad('ultima riga troncata (scrittura interrotta o file tagliato)');
      if (!line) return bad('riga vuota nel registro');
      const parsed = auditEntrySchema.safeParse(safeJson(line));
      if (!parsed.success) return bad('riga non leggibile come voce del registro: voce alterata');
      const entry = parsed.data;
      if (entryHash(entry) !== entry.hash) return bad(`l’impronta della voce n. ${entry.seq} non corrisponde al suo contenuto: voce alterata`);
      if (entry.seq !== expectedSeq) {
        return bad(`trovata la voce n. ${entry.seq} al posto della n. ${expectedSeq}: voci cancellate, inserite o spostate`);
      }
      if (entry.prevHash !== prevHash) return bad('il collegamento alla voce precedente non corrisponde: voci cancellate, inserite o spostate');
      expectedSeq += 1;
      prevHash = entry.hash;
      return undefined;
    };
    for await (const line of lines) {
      if (pendingLine !== undefined) {
        const problem = check(pendingLine, false);
        if (problem) return problem;
      }
      pendingLine = line;
    }
    if (pendingLine !== undefined) {
      const problem = check(pendingLine, true);
      if (problem) return problem;
    }
    return { ok: true, entries: expectedSeq - 1 };
  } finally {
    stream.destroy();
  }
}

/** How each audited route is recorded, keyed by method and route pattern. */
const auditedRoutes: Record<string, { action: AuditAction; detail?: (request: FastifyRequest) => string | undefined }> = {
  'GET /api/cases/:ref': { action: 'case.read', detail: (request) => (request.breakGlassReason ? 'break-glass' : undefined) },
  'POST /api/cases': { action: 'case.start', detail: (request) => field(request.body, 'kind') },
  'POST /api/cases/:ref/events': { action: 'case.event', detail: (request) => field(request.body, 'type') },
  'GET /api/cases': { action: 'case.list' },
  'GET /api/tasks': { action: 'case.list', detail: () => 'tasks' },
  'GET /api/cases/:ref/accesses': { action: 'audit.read' },
  // By the person's record id, a random one: who looked at whom, without naming them.
  'GET /api/persons/:id': { action: 'person.read', detail: (request) => field(request.params, 'id') },
  'POST /api/persons/match': { action: 'person.match', detail: (request) => field(request.body, 'kind') },
  'POST /api/hospital/discharges': { action: 'case.start', detail: () => 'hospital-discharge' },
};

/** Identifiers only: a value that does not look like one (free text, a payload) is not copied into the register. */
const identifier = /^[A-Za-z0-9_.:-]{1,100}$/;
function field(value: unknown, name: string): string | undefined {
  const found = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
  return typeof found === 'string' && identifier.test(found) ? found : undefined;
}

/** A start route that does not set `request.auditCaseRef` still names the new case in its answer. */
function caseRefInAnswer(payload: unknown): string | undefined {
  return typeof payload === 'string' ? field(safeJson(payload), 'caseRef') : undefined;
}

const MAX_REASON_LENGTH = 1000;

/**
 * Records every case read and write through the API, refusals included. In onSend rather than onResponse: the entry
 * is on disk before the answer leaves, and if it cannot be written the caller gets a 500 instead of the case, since
 * an access that cannot be recorded must not happen. Unauthenticated requests are not recorded: they reach no case,
 * and recording them would let anyone fill the disk.
 */
export function registerAuditTrail(app: FastifyInstance, log: AuditLog): void {
  const recorded = new WeakSet<FastifyRequest>();
  app.addHook('onSend', async (request, reply, payload) => {
    // HEAD runs the GET handler: it is the same access.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const route = auditedRoutes[`${method} ${request.routeOptions.url}`];
    const who = request.user ?? request.hospitalSystem;
    // Once per request: if recording failed, the 500 that replaces the answer is not recorded again.
    if (!route || !who || recorded.has(request)) return payload;
    recorded.add(request);
    const reason = request.headers[BREAK_GLASS_HEADER];
    await log.append({
      actor: { id: who.id, role: who.role, organisation: who.organisation },
      action: route.action,
      caseRef: field(request.params, 'ref') ?? request.auditCaseRef ?? (route.action === 'case.start' ? caseRefInAnswer(payload) : undefined),
      detail: route.detail?.(request),
      // Stated reasons are kept for refused break-glass attempts too: they are part of what was asked, and why.
      reason: route.action === 'case.read' && typeof reason === 'string' && reason.trim() ? reason.trim().slice(0, MAX_REASON_LENGTH) : undefined,
      outcome: reply.statusCode,
    });
    return payload;
  });
  app.addHook('onClose', async () => log.flush());
}
