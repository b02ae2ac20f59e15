import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CaseState } from '../machines/case-state.js';
import { CaseEngine } from './engine.js';
import { caseRecorded, caseState, sendEvent, type CaseStart } from './messages.js';
import { sharedByWorker } from './shared-by-worker.js';

const loadMachines = () => sharedByWorker('machines', () => import(/* webpackMode: "eager" */ '../machines/runtime.js'));

/** The one workflow that runs every pathway: the chart decides, this interprets it durably. */
export async function caseWorkflow(start: CaseStart): Promise<CaseState> {
  const machines = await loadMachines();
  const pathway = machines.findPathway(start.kind, start.version);
  if (!pathway) throw ApplicationFailure.nonRetryable(`Percorso sconosciuto: ${start.kind}@${start.version}`, 'UnknownPathway');
  const engine = new CaseEngine(machines, pathway, start);
  // Read-your-writes: an event is answered once the record shows it.
  setHandler(
    sendEvent,
    async (request) => {
      const state = engine.accept(request);
      await engine.syncRecord();
      return state;
    },
    { validator: (request) => engine.validate(request) },
  );
  setHandler(caseRecorded, async () => {
    await engine.syncRecord({ evenIfCurrent: true });
    return engine.state();
  });
  setHandler(caseState, () => engine.state());

  const historyLimitReached = () =>
    start.continueAsNewAfterEvents !== undefined ? workflowInfo().historyLength >= start.continueAsNewAfterEvents : workflowInfo().continueAsNewSuggested;

  for (;;) {
    // Timers and notification alerts change the case too: the record follows them as it follows events.
    await condition(() => engine.hasEffects || engine.done || engine.unrecorded || historyLimitReached());
    await engine.syncRecord();
    await engine.runEffects();
    if (engine.done && !engine.hasEffects && !engine.unrecorded) break;
    if (historyLimitReached() && !engine.hasEffects) {
      await condition(allHandlersFinished);
      if (engine.hasEffects || engine.unrecorded) continue;
      await continueAsNew<typeof caseWorkflow>({ ...start, carried: engine.carry() });
    }
  }
  await condition(allHandlersFinished);
  await engine.syncRecord();
  return engine.state();
}
