import { spawnSync } from 'node:child_process';

const which = (name: string) => {
  const found = spawnSync('which', [name], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
};

/** Debian's Chromium for the browser tests: found on PATH, else installed with apt-get (root only), else a clear error. */
export function ensureChromium(log: (line: string) => void = console.log): string {
  const found = process.env.CHROMIUM_PATH ?? which('chromium');
  if (found) return found;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error('Chromium is missing: install Debian\'s "chromium" package (apt-get install -y chromium) or set CHROMIUM_PATH.');
  }
  log('[setup] installing Chromium from Debian for the browser tests (apt-get install chromium)…');
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'chromium'],
  ]) {
    const run = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (run.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: see the output above`);
  }
  const installed = which('chromium');
  if (!installed) throw new Error('apt-get installed chromium, but it is not on PATH');
  return installed;
}
