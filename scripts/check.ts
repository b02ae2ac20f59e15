import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run lint`, and the first step of `npm test`: the static checks, in order from the cheapest to read to the
 * slowest, stopping at the first that fails. Each tool is the project's own copy in node_modules, run with this Node.
 */
const root = join(import.meta.dirname, '..');

/** The path of a package's executable, from the `bin` of its package.json. */
function bin(pkg: string, name: string = pkg): string {
  const dir = join(root, 'node_modules', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
  const relative = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[name];
  if (!relative) throw new Error(`${pkg} has no "${name}" executable: run npm install`);
  return join(dir, relative);
}

// Incremental type checks keep what they learnt in node_modules/.cache (never in the repo), so a second run is quick.
const cache = join(root, 'node_modules', '.cache', 'raccordo-check');
const steps: { name: string; command: string; args: string[] }[] = [
  {
    name: 'tsc (Node: tsconfig.json)',
    command: bin('typescript', 'tsc'),
    args: ['--noEmit', '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', join(cache, 'node.tsbuildinfo')],
  },
  {
    name: 'tsc (browser: api/web/tsconfig.json)',
    command: bin('typescript', 'tsc'),
    args: ['--noEmit', '-p', 'api/web/tsconfig.json', '--incremental', '--tsBuildInfoFile', join(cache, 'web.tsbuildinfo')],
  },
  {
    name: 'tsc (bench: bench/tsconfig.json)',
    command: bin('typescript', 'tsc'),
    args: ['--noEmit', '-p', 'bench/tsconfig.json', '--incremental', '--tsBuildInfoFile', join(cache, 'bench.tsbuildinfo')],
  },
  { name: 'eslint', command: bin('eslint'), args: ['.', '--max-warnings', '0'] },
  { name: 'prettier', command: bin('prettier'), args: ['--check', '.', '--log-level', 'warn'] },
];

for (const step of steps) {
  const started = Date.now();
  console.log(`[check] ${step.name}…`);
  const run = spawnSync(process.execPath, [step.command, ...step.args], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`[check] ${step.name} failed${run.error ? `: ${run.error.message}` : ''} (see above)`);
    process.exit(run.status ?? 1);
  }
  console.log(`[check] ${step.name} passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
