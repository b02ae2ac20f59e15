import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureChromium } from './chromium.js';
import { ensureTemporalCli } from './temporal-cli.js';
import { ensureTimeSkippingServer } from './time-skipping-server.js';

/** `npm test`: installs what the suite needs outside the repo (Temporal CLI, time-skipping server, Chromium), then runs it. */
const root = join(import.meta.dirname, '..');
try {
  const cli = ensureTemporalCli();
  ensureTimeSkippingServer();
  const chromium = ensureChromium();
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_CLI: cli, CHROMIUM_PATH: chromium },
  });
  process.exit(run.status ?? 1);
} catch (error) {
  console.error(`[test] ${(error as Error).message}`);
  process.exit(1);
}
