import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';
import { now, summarize, type Summary } from './lib.js';

/**
 * What each new workflow pays before its first line runs. The SDK's worker (reuseV8Context, the default) evaluates a
 * bundle once per V8 context and shares only the modules loaded before any workflow exists (the SDK's own, and the
 * bundle's `preloadModules`); every workflow then gets a module cache of its own, so `importWorkflows()` evaluates the
 * workflow file and everything it imports statically again, for each workflow, and those module objects live as long
 * as the workflow stays in the worker's cache (see @temporalio/worker lib/workflow/reusable-vm.js). This reproduces
 * exactly that in a vm context of this process: the same bundle, the same shared/per-workflow split of
 * `globalThis.__webpack_module_cache__`, then `__TEMPORAL__.importWorkflows()` once per simulated workflow, timed,
 * with the heap it keeps. What a workflow builds once per worker when it first runs (the pathway charts, see
 * workflows/shared-by-worker.ts) is not counted here: the open-case phase measures the whole.
 */

export interface ModuleCost {
  bundle: string;
  bundleKiB: number;
  /** Modules evaluated anew by each workflow (those not shared by the SDK). */
  modulesPerWorkflow: number;
  firstEvaluationMs: number;
  evaluateMs: Summary;
  /** Heap still used after a full GC, per simulated workflow whose modules are kept (as a cached workflow keeps them). */
  retainedKiBPerWorkflow: number;
  /** The modules each workflow evaluates, counted by package or project folder. */
  moduleGroups: Record<string, number>;
}

function groupOf(id: PropertyKey): string {
  const path = String(id);
  const inPackage = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (inPackage) return inPackage[1]!;
  return path.replace(/^\.\//, '').split('/').slice(0, -1).join('/') || path;
}

setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function measure(name: string, codePath: string, workflows: number): ModuleCost {
  const code = readFileSync(codePath, 'utf8');
  const shared = new Map<PropertyKey, unknown>();
  let perWorkflow: Map<PropertyKey, unknown> | undefined;
  const moduleCache = new Proxy(
    {},
    {
      get: (_, key) => shared.get(key) ?? perWorkflow?.get(key),
      set: (_, key, value) => {
        (perWorkflow ?? shared).set(key, value);
        return true;
      },
    },
  );
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
  Object.defineProperty(context, '__webpack_module_cache__', { value: moduleCache });
  Object.assign(context, {
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    AbortController,
    console: { log() {}, warn() {}, error() {}, info() {}, debug() {} },
  });
  vm.runInContext(code, context, { filename: codePath });
  // As the SDK does: the bundle's preloaded modules are evaluated once, into the shared cache, before any workflow.
  vm.runInContext('__TEMPORAL__.preloadModules?.()', context);
  // Module code that reads the clock or draws a random number finds a workflow's deterministic ones.
  (context as Record<string, unknown>).__TEMPORAL_ACTIVATOR__ = { now: Date.now(), random: Math.random, hasFlag: () => false };
  const importWorkflows = new vm.Script('__TEMPORAL__.importWorkflows()');

  const kept: Map<PropertyKey, unknown>[] = [];
  const times: number[] = [];
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < workflows; i++) {
    perWorkflow = new Map();
    const started = now();
    importWorkflows.runInContext(context);
    times.push(now() - started);
    kept.push(perWorkflow);
  }
  perWorkflow = undefined;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const result: ModuleCost = {
    bundle: name,
    bundleKiB: Math.round(code.length / 1024),
    modulesPerWorkflow: kept[0]?.size ?? 0,
    firstEvaluationMs: Math.round(times[0]! * 10) / 10,
    evaluateMs: summarize(times.slice(1)),
    retainedKiBPerWorkflow: Math.round((heapAfter - heapBefore) / 1024 / workflows),
    moduleGroups: {},
  };
  for (const id of kept[0]?.keys() ?? []) result.moduleGroups[groupOf(id)] = (result.moduleGroups[groupOf(id)] ?? 0) + 1;
  kept.length = 0;
  return result;
}

export async function moduleCosts(bundles: Record<string, string>, workflows = 100): Promise<ModuleCost[]> {
  return Object.entries(bundles).map(([name, path]) => measure(name, path, workflows));
}
