import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureChromium } from './chromium.js';
import { ensureTemporalCli } from './temporal-cli.js';
import { ensureTimeSkippingServer } from './time-skipping-server.js';

/** `npm test`: installs what the suite needs outside the repo (Temporal CLI, time-skipping server, Chromium), then runs it. */
const root = join(import.meta.dirname, '..');
// The static checks first (scripts/check.ts, also `npm run lint`): they fail in a minute, the suite in many.
// RACCORDO_SKIP_CHECKS=1 skips them for a quick local run.
if (process.env.RACCORDO_SKIP_CHECKS !== '1') {
  const checks = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'check.ts')], { cwd: root, stdio: 'inherit' });
  if (checks.status !== 0) {
    console.error('[test] the static checks failed (npm run lint): the suite was not run; RACCORDO_SKIP_CHECKS=1 skips them');
    process.exit(checks.status ?? 1);
  }
}
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
