import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { withTimeout } from './lib.js';
import { root } from './options.js';

/** The processes a run starts, and what stops them: the run stops them all, whatever happens (see scripts/bench.ts). */

export const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const stop of cleanups.reverse()) await stop().catch((error: unknown) => console.error(`[bench] cleanup: ${String(error)}`));
  })();
  return cleaning;
}

export interface NodeChild<T> {
  child: ChildProcess;
  ready: T;
  stop(): Promise<void>;
  /** Set if the process ended before it was told to stop (a crash, an out-of-memory kill). */
  readonly crashed: string | undefined;
}

/** A TypeScript entry in a Node process of its own (as `npm start` runs the worker and the API), ready when it says so. */
export async function startNodeChild<T extends object>(entry: string, env: Record<string, string>, what: string): Promise<NodeChild<T>> {
  const child = fork(join(root, entry), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopping = false;
  let crashed: string | undefined;
  let reason = '';
  // A child that fails after it was ready says why on IPC before it exits (the worker: its workflow thread's error).
  child.on('message', (message) => {
    if (message && typeof message === 'object' && 'failed' in message) reason = String(message.failed).split('\n')[0]!.slice(0, 300);
  });
  child.once('exit', (code, signal) => {
    if (!stopping) crashed = `${what} exited (${signal ?? `code ${code}`})${reason ? `: ${reason}` : ''}`;
  });
  const stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (child.connected) child.send('stop');
    else child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  cleanups.push(stop);
  const message = await withTimeout(
    120_000,
    `${what} start`,
    new Promise<T>((resolve, reject) => {
      child.once('message', (message) => resolve(message as T));
      child.once('exit', (code, signal) => reject(new Error(`${what} exited (${signal ?? code}) before it was ready`)));
    }),
  );
  if ('failed' in message) throw new Error(`${what} failed to start: ${String(message.failed)}`);
  return {
    child,
    ready: message,
    stop,
    get crashed() {
      return crashed;
    },
  };
}
