import type { Client } from '@temporalio/client';
import { join } from 'node:path';
import { createCaseService } from '../api/cases.js';
import type { Actor } from '../machines/case.js';
import type { CaseState } from '../machines/case-state.js';
import { demoDirectory } from '../platform/directory.js';
import { loadPathwayParameters } from '../platform/parameters.js';
import type { Env } from './environment.js';
import { now } from './lib.js';
import { root } from './options.js';

/** The hello cases every phase runs: who signs them, and a case's steps, each phase opening its cases its own way. */

export const actors = {
  socialWorker: { id: 'social-worker', role: 'social-worker', organisation: 'municipality' },
  physician: { id: 'physician', role: 'physician', organisation: 'health-authority' },
} satisfies Record<string, Actor>;
export const approve = { round: 'evaluation', decision: 'approve' };

export interface CaseRun {
  caseRef: string;
  startMs: number;
  updateMs: number[];
  caseMs: number;
}
export type CaseRunner = (index: number, slot: number) => Promise<CaseRun>;

/** A case of a throughput phase in its steps, so that they can run back to back or apart. */
export interface OpenedCase {
  caseRef: string;
  /** Both evaluators' sign-offs, one after the other, each timed. */
  signOff(): Promise<number[]>;
  /** Resolves once the case has ended as it should. */
  ended(): Promise<void>;
}
export type CaseOpener = (index: number, slot: number) => Promise<OpenedCase>;

export function backToBack(open: CaseOpener): CaseRunner {
  return async (index, slot) => {
    const t0 = now();
    const opened = await open(index, slot);
    const startMs = now() - t0;
    const updateMs = await opened.signOff();
    await opened.ended();
    return { caseRef: opened.caseRef, startMs, updateMs, caseMs: now() - t0 };
  };
}

/** No single case may hold a phase up for longer than this. */
export const caseTimeoutMs = 120_000;

export async function timed(steps: (() => Promise<unknown>)[]): Promise<number[]> {
  const times: number[] = [];
  for (const step of steps) {
    const t0 = now();
    await step();
    times.push(now() - t0);
  }
  return times;
}

export async function endedApproved(client: Client, caseRef: string): Promise<void> {
  const result = (await client.workflow.getHandle(caseRef).result()) as CaseState;
  if (result.context.outcome !== 'approved') throw new Error(`${caseRef} ended ${JSON.stringify(result.value)} (${result.context.outcome})`);
}

/** `filed: false`: for workers that write no record (phase interpreter-unrecorded), a start waits for none. */
export const caseService = (env: Env, taskQueue: string, filed = true) =>
  createCaseService(env.client, taskQueue, {
    directory: demoDirectory(),
    parameters: loadPathwayParameters(join(root, 'config', 'parameters')),
    record: env.record,
    ...(filed ? {} : { filedWithinMs: 0 }),
  });
