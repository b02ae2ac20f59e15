import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { machineInfo, setUp } from './environment.js';
import { moduleCosts } from './module-cost.js';
import { log, options } from './options.js';
import { apiPhases, type ApiPhasesResult } from './phases/api.js';
import { baselinePhase } from './phases/baseline.js';
import { interpreterPhase } from './phases/interpreter.js';
import { openCasesPhase } from './phases/open-cases.js';
import { recordPhase } from './phases/record.js';
import { cleanups } from './processes.js';

/** One run: the services it needs, then every phase asked for (BENCH_PHASES), in order. */
export async function runBenchmark() {
  const startedAt = new Date();
  const machine = machineInfo();
  log(`${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);
  log(`options: ${JSON.stringify(options)}`);
  const scratch = mkdtempSync(join(os.tmpdir(), 'raccordo-bench-'));
  cleanups.push(async () => rmSync(scratch, { recursive: true, force: true }));
  const env = await setUp(scratch);
  const phases = new Set(options.BENCH_PHASES);
  /** A phase that fails is reported and the others still run: one crashed worker must not hide the rest. */
  const phaseErrors: Record<string, string> = {};
  async function phase<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
    if (!phases.has(name)) return undefined;
    try {
      return await work();
    } catch (error) {
      phaseErrors[name] = (error as Error).message;
      console.error(`[bench] ${name} failed: ${(error as Error).stack ?? String(error)}`);
      return undefined;
    }
  }

  const baseline = await phase('baseline', () => baselinePhase(env, true));
  const baselineBare = await phase('baseline-bare', () => baselinePhase(env, false));
  const interpreterUnrecorded = await phase('interpreter-unrecorded', () => interpreterPhase(env, false));
  const interpreter = await phase('interpreter', () => interpreterPhase(env));
  const { api, apiUsers, apiSaturation }: ApiPhasesResult =
    phases.has('api') || phases.has('api-users') || phases.has('api-saturation') ? await apiPhases(env, phase) : {};
  const openCases = await phase('open-cases', () => openCasesPhase(env));
  const record = await phase('record', () => recordPhase(env));

  const moduleCost = await phase('module-cost', () => {
    log("module-cost: evaluating each bundle's workflow modules as a new workflow does…");
    return moduleCosts(env.bundles);
  });

  const mails = await fetch(`${env.mail.webUrl}/api/email`).then(
    (response) => response.json() as Promise<unknown[]>,
    () => [],
  );
  return {
    startedAt,
    machine,
    baseline,
    baselineBare,
    interpreterUnrecorded,
    interpreter,
    api,
    apiUsers,
    apiSaturation,
    openCases,
    record,
    moduleCost,
    phaseErrors,
    mailsReceived: mails.length,
  };
}

export type Outcome = Awaited<ReturnType<typeof runBenchmark>>;
