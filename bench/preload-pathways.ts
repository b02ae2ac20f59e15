import { pathways } from '../machines/registry.js';

/**
 * The `preload` experiment of `npm run bench`, bundled as an SDK `preloadModules` entry: the pathway registry (with
 * zod, xstate and every chart) evaluated once per worker and shared by all workflows. The SDK deep-freezes shared
 * modules, and zod 4 defines some members of a schema on first use (`safeParse` among them) and memoizes its compiled
 * parser on first parse, which a frozen schema refuses: so every getter reachable from the registry is read, and every
 * schema parses a few inputs, once here, before the freeze. It is not enough, and not meant as a fix: a format check
 * with a global RegExp (the hello start schema's `evaluationFrom`, z.iso.datetime) still fails on a frozen RegExp's
 * `lastIndex`, so cases with a scheduled start fail their first task on this bundle. The experiment measures what
 * sharing the modules would save, on cases that avoid that path.
 */

function touch(value: unknown, seen: Set<object>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
  seen.add(value);
  // A schema memoizes its compiled parser on first use: parse a few shapes of input once.
  const parse = (value as { safeParse?: unknown }).safeParse;
  if (typeof parse === 'function') {
    for (const input of [undefined, {}, [], '', 0]) {
      try {
        parse.call(value, input);
      } catch {
        // Whatever it throws, the parser is compiled.
      }
    }
  }
  const names = new Set<PropertyKey>();
  for (let object: object | null = value; object && object !== Object.prototype && object !== Function.prototype; object = Object.getPrototypeOf(object)) {
    for (const name of Reflect.ownKeys(object)) names.add(name);
  }
  for (const name of names) {
    if (name === 'constructor' || name === 'prototype' || name === 'caller' || name === 'arguments') continue;
    let child: unknown;
    try {
      child = (value as Record<PropertyKey, unknown>)[name];
    } catch {
      continue;
    }
    touch(child, seen);
  }
}

touch(pathways, new Set());
