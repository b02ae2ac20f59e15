// Entry point of `npm start`, `npm test` and `npm run bench` on a fresh clone: it may only use Node itself,
// because it is what installs the dependencies everything else needs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...args] = process.argv.slice(2);
const entries = { start: 'scripts/start.ts', test: 'scripts/test.ts', bench: 'scripts/bench.ts' };
if (!entries[command]) {
  console.error(`usage: node scripts/bootstrap.mjs ${Object.keys(entries).join('|')}`);
  process.exit(2);
}

function dependenciesAreCurrent() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  return existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
}

if (!dependenciesAreCurrent()) {
  // Not `npm ci`: registries that serve only this platform's binaries leave the lock without the other platforms'
  // optional packages, which `npm ci` refuses; `npm install` installs the same locked versions.
  console.log('[setup] installing npm dependencies…');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) {
    console.error('[setup] npm install failed: see the output above');
    process.exit(install.status ?? 1);
  }
}

const run = spawn(process.execPath, ['--import', 'tsx', join(root, entries[command]), ...args], { cwd: root, stdio: 'inherit' });
// A signal sent to this process alone (a service manager stopping `npm start`, not Ctrl-C, which reaches the whole
// process group) must still stop what it started, and let it shut its own children down first.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => run.kill(signal));
run.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
