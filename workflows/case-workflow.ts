import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CaseState } from '../machines/case-state.js';
import { CaseEngine } from './engine.js';
import { caseState, sendEvent, type CaseStart } from './messages.js';
import { sharedByWorker } from './shared-by-worker.js';

const loadMachines = () => sharedByWorker('machines', () => import(/* webpackMode: "eager" */ '../machines/runtime.js'));

/** The one workflow that runs every pathway: the chart decides, this interprets it durably. */
export async function caseWorkflow(start: CaseStart): Promise<CaseState> {
  const machines = await loadMachines();
  const pathway = machines.findPathway(start.kind, start.version);
  if (!pathway) throw ApplicationFailure.nonRetryable(`Percorso sconosciuto: ${start.kind}@${start.version}`, 'UnknownPathway');
  const engine = new CaseEngine(machines, pathway, start);
  setHandler(sendEvent, (request) => engine.accept(request), { validator: (request) => engine.validate(request) });
  setHandler(caseState, () => engine.state());

  const historyLimitReached = () =>
    start.continueAsNewAfterEvents !== undefined ? workflowInfo().historyLength >= start.continueAsNewAfterEvents : workflowInfo().continueAsNewSuggested;

  for (;;) {
    await condition(() => engine.hasEffects || engine.done || historyLimitReached());
    await engine.runEffects();
    if (engine.done && !engine.hasEffects) break;
    if (historyLimitReached() && !engine.hasEffects) {
      await condition(allHandlersFinished);
      if (engine.hasEffects) continue;
      await continueAsNew<typeof caseWorkflow>({ ...start, carried: engine.carry() });
    }
  }
  await condition(allHandlersFinished);
  return engine.state();
}
