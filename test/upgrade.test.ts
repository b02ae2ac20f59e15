import { Client, Connection } from '@temporalio/client';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { createCaseService } from '../api/cases.js';
import { loadKeyring, createDataConverter } from '../platform/codec.js';
import { demoDirectory } from '../platform/directory.js';
import { readCase } from '../record/cases.js';
import { openRecord } from '../record/record.js';
import { freePort, startTemporalServer } from '../scripts/services.js';
import { actors, eventually, testConfig } from './support/harness.js';
import { spawnWorker } from './support/processes.js';
import { runLogFile } from './support/run-logs.js';

// A Temporal server on a copy of an old data/, and a worker process that bundles the workflow code.
vi.setConfig({ testTimeout: 240_000 });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const fixture = join(import.meta.dirname, 'fixtures', 'data-before-record');
// What test/fixtures/data-before-record/README.md says that data/ holds.
const openCases = ['RAC-2026-BPMTDY', 'RAC-2026-CHKBEH', 'RAC-2026-6RMWAW', 'RAC-EZCRKWSE62J', 'RAC-EAJ42VRKE14'];
const halfSigned = 'RAC-2026-BPMTDY';

describe('the first start of this version on a data/ from before the case record', () => {
  it('files every open case in the record, which then follows them as they go on', async () => {
    const data = mkdtempSync(join(tmpdir(), 'raccordo-upgrade-'));
    chmodSync(data, 0o755);
    writeFileSync(join(data, 'temporal.db'), gunzipSync(readFileSync(join(fixture, 'temporal.db.gz'))));
    copyFileSync(join(fixture, 'payload-keys.json'), join(data, 'payload-keys.json'));
    const temporal = await startTemporalServer({
      cli: inject('temporalCli'),
      port: await freePort(),
      dbFile: join(data, 'temporal.db'),
      logFile: runLogFile('temporal-upgrade'),
    });
    cleanups.push(() => temporal.stop());
    const keys = { RACCORDO_PAYLOAD_KEYS: '', RACCORDO_PAYLOAD_KEY_FILE: join(data, 'payload-keys.json') };
    // The task queue of npm start, which opened those cases.
    const worker = await spawnWorker({ taskQueue: 'raccordo', temporalAddress: temporal.address, env: keys });
    cleanups.push(() => worker.kill());

    const config = testConfig({ TEMPORAL_ADDRESS: temporal.address, ...keys });
    const record = await openRecord(config);
    cleanups.push(() => record.close());
    // The worker files them once it polls, and then says how many it filed.
    await eventually(async () => /filed \d+ open and \d+ closed cases from before it/.test(worker.output()), 120_000, 'the backfill');
    expect(worker.output()).toMatch(/filed 5 open and [01] closed cases from before it; 0 failed/);
    const filed = await eventually(
      async () => {
        const states = await Promise.all(openCases.map(async (caseRef) => (await readCase(record, caseRef))?.state));
        return states.every((state) => state !== undefined) && states;
      },
      10_000,
      'the open cases in the record',
    );
    expect(filed.map((state) => [state.caseRef, state.status])).toEqual(openCases.map((caseRef) => [caseRef, 'active']));

    // Each filed as its workflow holds it, timeline entries included, once each.
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: createDataConverter(loadKeyring(config)) });
    const cases = createCaseService(client, 'raccordo', { directory: demoDirectory(), record });
    for (const state of filed) {
      const rows = await record.db.selectFrom('timeline').select('event').where('case_ref', '=', state.caseRef).orderBy('seq').execute();
      expect(rows.map((row) => row.event)).toEqual((await cases.state(state.caseRef)).timeline.map((entry) => entry.event));
    }

    // The old history goes on under this version, and the record with it.
    const approved = await cases.send(halfSigned, 'signoff.submit', { round: 'evaluation', decision: 'approve' }, actors.socialWorker);
    expect(approved).toMatchObject({ status: 'done', outcome: 'approved' });
    expect((await readCase(record, halfSigned))?.state).toMatchObject({ status: 'done', context: { outcome: 'approved' } });
  });
});
