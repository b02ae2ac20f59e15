import type { SessionUser } from '../../api/auth.js';
import { listCases, type CaseFilters } from '../../api/case-list.js';
import { activePaths, type CaseState } from '../../machines/case-state.js';
import { readCase, writeCase } from '../../record/cases.js';
import { homelessReferral } from '../../test/support/samples.js';
import { actors, caseService } from '../cases.js';
import type { Env } from '../environment.js';
import { now, pool, round2, summarize, type Summary } from '../lib.js';
import { log, options } from '../options.js';
import { startWorker, withWorker } from '../workers.js';

/**
 * Phase `record`: the case record at BENCH_RECORD_CASES cases. Each is filed by writeCase, the workflow's own write
 * (person found or created, identity and case sealed, timeline), from one real homeless-discharge case whose person
 * is varied; then the case list and the person search are timed as the API runs them.
 */

export interface RecordResult {
  cases: number;
  failed: number;
  concurrency: number;
  writesPerSecond: number;
  writeMs: Summary;
  /** This process's CPU per write (the database's not included): what a worker spends on each besides the workflow. */
  cpuMsPerWrite: number;
  queries: number;
  queryMs: Record<string, Summary>;
}

const base26 = (value: number, length: number) =>
  Array.from({ length }, (_, i) => String.fromCharCode(65 + (Math.floor(value / 26 ** (length - 1 - i)) % 26))).join('');

/** The i-th made-up person: a name, a birth date and a fiscal code of the right shape, all different. */
function person(i: number) {
  const birth = new Date(Date.UTC(1930, 0, 1) + (i % 25_000) * 86_400_000).toISOString().slice(0, 10);
  return {
    familyName: `Cognome ${base26(i, 4)}`,
    givenName: ['Anna', 'Luca', 'Maria', 'Paolo', 'Sara'][i % 5]!,
    birthDate: birth,
    fiscalCode: `${base26(i, 6)}${birth.slice(2, 4)}A${birth.slice(8, 10)}F${String(i % 1000).padStart(3, '0')}Z`,
  };
}

/** The state of one real case, as its workflow filed it: what every filed copy starts from. */
async function templateCase(env: Env): Promise<CaseState> {
  const worker = await startWorker(env, 'interpreter', 'record');
  return withWorker(worker, async () => {
    const { caseRef } = await caseService(env, worker.taskQueue).start({ kind: 'homeless-discharge', data: homelessReferral(), actor: actors.socialWorker });
    const filed = await readCase(env.record, caseRef);
    if (!filed) throw new Error(`${caseRef} is not in the record`);
    return filed.state;
  });
}

export async function recordPhase(env: Env): Promise<RecordResult> {
  const count = options.BENCH_RECORD_CASES;
  const concurrency = options.BENCH_CONCURRENCY;
  const template = await templateCase(env);
  const data = template.context.data as Record<string, unknown>;
  const index = { activePaths: activePaths(template.value), pendingRoles: [], organisations: template.coOwners ?? [] };
  const began = Date.parse(template.startedAt);
  const copy = (i: number): CaseState => {
    // Ten years of cases, newest last.
    const startedAt = new Date(began - (count - i) * 3_153_600).toISOString();
    return {
      ...template,
      caseRef: `RAC-BENCH-${base26(i, 5)}`,
      startedAt,
      context: { ...template.context, data: { ...data, identity: { ...(data.identity as object), ...person(i) } } },
      timeline: template.timeline.map((entry) => ({ ...entry, at: startedAt })),
    };
  };

  log(`record: filing ${count} cases, ${concurrency} writes at a time…`);
  const writeMs: number[] = [];
  let failed = 0;
  const t0 = now();
  const cpu0 = process.cpuUsage();
  await pool(
    count,
    concurrency,
    async (i) => {
      const state = copy(i);
      const t = now();
      await writeCase(env.record, { state, index, position: { run: 0, task: 1, committed: 0 } });
      writeMs.push(now() - t);
    },
    (error) => {
      if (failed++ === 0) log(`record: a write failed: ${(error as Error).message}`);
    },
  );
  const writesPerSecond = round2((count - failed) / ((now() - t0) / 1000));
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerWrite = round2((cpu.user + cpu.system) / 1000 / count);
  log(`record: ${writesPerSecond} writes/s; timing the list and the search…`);

  const viewer: SessionUser = { ...actors.socialWorker, name: 'Operatore di prova', roles: [actors.socialWorker.role] };
  const queries = 200;
  const anyone = (i: number) => person(Math.floor((i * 7919) % count));
  const kinds: Record<string, (i: number) => CaseFilters> = {
    'list, newest first': () => ({}),
    'list by deadline': () => ({ sort: 'deadline' }),
    'search by fiscal code': (i) => ({ q: anyone(i).fiscalCode }),
    'search by name and birth date': (i) => {
      const { familyName, givenName, birthDate } = anyone(i);
      const [year, month, day] = birthDate.split('-');
      return { q: `${familyName} ${givenName} ${day}/${month}/${year}` };
    },
    'search by name': (i) => ({ q: `${anyone(i).familyName} ${anyone(i).givenName}` }),
  };
  const queryMs: Record<string, Summary> = {};
  for (const [name, filters] of Object.entries(kinds)) {
    const times: number[] = [];
    for (let i = 0; i < queries; i++) {
      const t = now();
      const page = await listCases(env.record, viewer, filters(i));
      times.push(now() - t);
      if (page.cases.length === 0) throw new Error(`record: ${name} found nothing (${JSON.stringify(filters(i))})`);
    }
    queryMs[name] = summarize(times);
  }
  return { cases: count, failed, concurrency, writesPerSecond, writeMs: summarize(writeMs), cpuMsPerWrite, queries, queryMs };
}
