/**
 * What the case workflow needs from machines/ and xstate at run time, as one module: the workflow imports it
 * dynamically, once per worker (workflows/shared-by-worker.ts), and statically imports only types from here.
 * xstate comes through here too, so that charts and `transition` are the same xstate instance.
 */
export { initialTransition, transition } from 'xstate';
export { eventRefusal, fieldIssues } from './access.js';
export { effectTypes } from './case-setup.js';
export { activePaths, topLevelState } from './case-state.js';
export { isRunning } from './deadline.js';
export { findPathway } from './registry.js';
export { pendingSignoffs } from './signoff.js';
