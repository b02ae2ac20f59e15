import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The one CLI version that `go install` can still build: later ones carry a `replace` directive. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export const cacheDir = process.env.RACCORDO_CACHE ?? join(homedir(), '.cache', 'raccordo');
const cachedBinary = join(cacheDir, 'bin', 'temporal');

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, name))
    .find(isExecutable);
}

/** The CLI already on this machine, if any: `$TEMPORAL_CLI`, then PATH, then the cache. */
export function findTemporalCli(): string | undefined {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }
  return onPath('temporal') ?? (isExecutable(cachedBinary) ? cachedBinary : undefined);
}

function goInstall(extraEnv: Record<string, string>): boolean {
  const result = spawnSync('go', ['install', '-v', TEMPORAL_CLI_MODULE], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: join(cacheDir, 'bin'), ...extraEnv },
  });
  return result.status === 0 && isExecutable(cachedBinary);
}

/** Finds the Temporal CLI or builds it once into the cache, outside the repository so that every clone reuses it. */
export function ensureTemporalCli(log: (line: string) => void = console.log): string {
  const found = findTemporalCli();
  if (found) return found;
  if (spawnSync('go', ['version']).status !== 0) {
    throw new Error(
      'The Temporal CLI is missing and Go is not installed to build it.\n' +
        `Install one of: the Temporal CLI on PATH (or set TEMPORAL_CLI), or Go >= 1.23 so that it can be built with\n  go install ${TEMPORAL_CLI_MODULE}`,
    );
  }
  mkdirSync(join(cacheDir, 'bin'), { recursive: true });
  log(`[setup] building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into ${cacheDir}/bin: the first build takes several minutes…`);
  const started = Date.now();
  if (!goInstall({})) {
    log('[setup] the build failed, possibly because the Go checksum database is out of reach.');
    log("[setup] retrying with GOSUMDB=off: every dependency is still checked against the CLI module's own go.sum.");
    if (!goInstall({ GOSUMDB: 'off' })) {
      throw new Error(`Could not build the Temporal CLI. Install it on PATH or set TEMPORAL_CLI to its path.`);
    }
  }
  log(`[setup] Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${cachedBinary}`);
  return cachedBinary;
}
