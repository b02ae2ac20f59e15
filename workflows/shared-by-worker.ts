/**
 * Values every workflow of a worker shares, built by the first workflow that asks for them.
 *
 * The SDK gives each workflow a module cache of its own, so whatever a workflow file imports is evaluated again for
 * every case the worker holds: for the pathway registry, with zod and xstate, ~21 ms and ~2 MiB per case
 * (`npm run bench`, module-cost). The worker preloads this module (bundler `preloadModules`, see
 * `workflowBundleOptions` in worker/worker.ts), so its scope, and the map below, exist once per worker. The SDK
 * deep-freezes what a preloaded module exports, and zod writes into its schemas on use (memoized parsers, a RegExp's
 * lastIndex): the values therefore live in this closure, unfrozen, built by an ordinary workflow.
 *
 * Only values that are deterministic and that no workflow mutates belong here. Without the preload, each workflow
 * simply builds its own: slower, never wrong.
 */
const built = new Map<string, unknown>();

export async function sharedByWorker<T>(key: string, build: () => Promise<T>): Promise<T> {
  if (!built.has(key)) built.set(key, await build());
  return built.get(key) as T;
}
