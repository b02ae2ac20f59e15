import { hospitalDischargeSignal } from '../support/samples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchAttributes } from '../../workflows/search-attributes.js';
import { startApi, type ApiStack } from '../support/api.js';
import { eventually } from '../support/harness.js';
import { range, secondsSince } from './support.js';

let api: ApiStack;
beforeAll(async () => {
  api = await startApi('faults-duplicate-discharges');
});
afterAll(() => api?.stop());

const copies = 50;

describe(`the same hospital discharge sent ${copies} times at once`, () => {
  it('opens exactly one case: one 201, the others 200 with the same reference, one workflow', async () => {
    const began = Date.now();
    const encounterId = `FAULTS-${Date.now()}`;
    const signal = hospitalDischargeSignal(encounterId);
    const responses = await Promise.all(
      range(copies).map(() =>
        api.app.inject({
          method: 'POST',
          url: '/api/hospital/discharges',
          headers: { authorization: 'Bearer raccordo-demo-hospital-key' },
          payload: signal,
        }),
      ),
    );

    const answers = responses.map((response) => ({ status: response.statusCode, ...response.json() }));
    const caseRef = answers.find((answer) => answer.status === 201)?.caseRef as string;
    expect(caseRef).toMatch(/^RAC-E/);
    expect(answers.filter((answer) => answer.status === 201)).toEqual([{ status: 201, outcome: 'started', caseRef }]);
    expect(answers.filter((answer) => answer.status !== 201)).toEqual(range(copies - 1).map(() => ({ status: 200, outcome: 'existing', caseRef })));

    // Visibility lags the start a little: wait for the case to be listed, then make sure it is listed once.
    const query = `${searchAttributes.caseRef.name} = '${caseRef}'`;
    const listed = async () => {
      const executions = [];
      for await (const execution of api.stack.client.workflow.list({ query })) executions.push(execution);
      return executions;
    };
    await eventually(async () => (await listed()).length > 0, 30_000, `${caseRef} in visibility`);
    const executions = await listed();
    expect(executions.map((execution) => [execution.workflowId, execution.status.name])).toEqual([[caseRef, 'RUNNING']]);
    const view = await api.stack.cases.view(caseRef);
    expect(view).toMatchObject({ kind: 'homeless-discharge', startedBy: { role: 'ward', organisation: 'demo-hospital' } });
    expect(view.timeline.filter((entry) => entry.event === 'xstate.init')).toHaveLength(1);
    console.log(`[faults] ${copies} copies of one discharge: one case ${caseRef}, ${secondsSince(began)} s`);
  });
});
