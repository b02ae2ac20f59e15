export { caseWorkflow } from './case-workflow.js';
