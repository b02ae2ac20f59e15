import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../platform/config.js';
import { searchAttributeDeclarations } from '../workflows/search-attributes.js';

// No Docker engine runs where the tests run, so the production stack is checked by reading its files:
// what would make `docker compose up` fail, or run something other than intended, is asserted here.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

type Env = Record<string, string | number | boolean | null>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Env | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// `merge: true` resolves the `<<: *app-environment` merge keys the way docker compose does.
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function environment(svc: Service): Env {
  const env = svc.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

function dependency(svc: Service, on: string): string | undefined {
  const deps = svc.depends_on;
  if (!deps) return undefined;
  if (Array.isArray(deps)) return deps.includes(on) ? 'service_started' : undefined;
  const dep = deps[on];
  return dep ? (dep.condition ?? 'service_started') : undefined;
}

interface Port {
  hostIp?: string;
  published?: number;
  target: number;
}
function ports(svc: Service): Port[] {
  return (svc.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return { hostIp: port.host_ip, published: port.published === undefined ? undefined : Number(port.published), target: port.target };
    }
    const parts = String(port)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.pop());
    const published = parts.length ? Number(parts.pop()) : undefined;
    return { hostIp: parts.length ? parts.join(':') : undefined, published, target };
  });
}

function asArgv(command: string | string[] | undefined): string[] | undefined {
  if (command === undefined) return undefined;
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

/** `${VAR}`, `${VAR:?message}` or `${VAR?message}`: taken from the environment, no fallback value written here. */
const requiredReference = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}$/;
/** Any `${VAR...}` reference to the environment, possibly with a default. */
const anyReference = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?+][^}]*)?\}$/;

// --- Dockerfile: instructions with continuation lines joined and comments dropped ---
const dockerfilePath = join(root, 'Dockerfile');
const dockerfileText = existsSync(dockerfilePath) ? readFileSync(dockerfilePath, 'utf8') : '';
const instructions = dockerfileText
  .split('\n')
  .filter((line) => !/^\s*#/.test(line))
  .join('\n')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter(Boolean)
  .map((line) => {
    const space = line.search(/\s/);
    return { op: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
  });
const globalArgs: Record<string, string> = {};
for (const { op, args } of instructions) {
  if (op === 'FROM') break;
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(args);
  if (op === 'ARG' && match) globalArgs[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1');
}
const stages = instructions.reduce<(typeof instructions)[]>((all, instruction) => {
  if (instruction.op === 'FROM') all.push([]);
  all.at(-1)?.push(instruction);
  return all;
}, []);
const finalStage = stages.at(-1) ?? [];
const resolveArgs = (text: string) => text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => globalArgs[name] ?? `$${name}`);
const baseImages = stages.map((stage) => resolveArgs(stage[0]!.args.split(/\s+/)[0]!));
const last = (op: string) => finalStage.filter((instruction) => instruction.op === op).at(-1)?.args;
const dockerCmd = (() => {
  const cmd = last('CMD');
  if (!cmd) return undefined;
  return cmd.startsWith('[') ? (JSON.parse(cmd) as string[]) : cmd.split(/\s+/);
})();
const copiedDirs = finalStage
  .filter((instruction) => instruction.op === 'COPY' && !/--from=/.test(instruction.args))
  .flatMap((instruction) =>
    instruction.args
      .split(/\s+/)
      .filter((arg) => !arg.startsWith('--'))
      .slice(0, -1),
  )
  .map((source) => source.replace(/^\.\//, '').replace(/\/$/, ''));

/** The TypeScript file a `node --import tsx FILE` command runs. */
function entryFile(argv: string[] | undefined): string | undefined {
  return argv?.find((arg) => arg.endsWith('.ts'));
}

describe('docker-compose.yml', () => {
  it('defines the whole production stack', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgresql', 'record-setup', 'temporal', 'temporal-setup', 'temporal-ui', 'worker', 'api']),
    );
  });

  it('runs Temporal on PostgreSQL, started only once the database is healthy', () => {
    const temporal = service('temporal');
    const env = environment(temporal);
    expect(temporal.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+/);
    expect(env.DB).toBe('postgres12');
    expect(env.POSTGRES_SEEDS).toBe('postgresql');
    expect(env.POSTGRES_USER).toBeTruthy();
    expect(env.POSTGRES_PWD).toBeTruthy();
    expect(dependency(temporal, 'postgresql')).toBe('service_healthy');

    const postgresql = service('postgresql');
    expect(postgresql.image).toMatch(/^postgres:16/);
    expect(JSON.stringify(postgresql.healthcheck?.test)).toContain('pg_isready');
    // Temporal connects with the database's own credentials.
    const pgEnv = environment(postgresql);
    expect(env.POSTGRES_USER).toBe(pgEnv.POSTGRES_USER);
    expect(env.POSTGRES_PWD).toBe(pgEnv.POSTGRES_PASSWORD);
  });

  it.each([
    ['postgresql', '/var/lib/postgresql/data'],
    ['api', '/app/data/audit'],
    ['api', '/app/data/sessions'],
  ])('keeps the data of %s (%s) on a named volume that survives `docker compose down`', (name, target) => {
    const mounts = (service(name).volumes ?? []).map((volume) =>
      typeof volume === 'string' ? { source: volume.split(':')[0], target: volume.split(':')[1] } : { source: volume.source, target: volume.target },
    );
    const data = mounts.find((mount) => mount.target === target);
    expect(data, `a volume mounted on ${target}`).toBeDefined();
    expect(data!.source).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/); // a name, not a host path or an anonymous volume
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.source);
  });

  it('puts the pathway parameters in the image and lets the app write its audit register', () => {
    expect(dockerfileText).toMatch(/^COPY config \.\/config$/m);
    expect(dockerfileText).toMatch(/mkdir -p \/app\/data\/audit && chown node:node \/app\/data\/audit/);
  });

  describe('temporal-setup', () => {
    const setup = service('temporal-setup');
    const script = [...(asArgv(setup.entrypoint) ?? []), ...(asArgv(setup.command) ?? [])].join('\n');
    const creations = script.split('\n').filter((line) => line.includes('search-attribute create'));
    const declared = creations.map((line) => {
      const match = /--name\s+(\S+)\s+--type\s+(\S+)/.exec(line);
      if (!match) throw new Error(`cannot read the attribute in: ${line}`);
      return `${match[1]}=${match[2]}`;
    });

    it('creates exactly the custom search attributes the workflows set', () => {
      const expected = [
        'PathwayKind=Keyword',
        'PathwayVersion=Keyword',
        'PathwayState=KeywordList',
        'PendingRoles=KeywordList',
        'NextDeadline=Datetime',
        'Organisations=KeywordList',
        'CaseRef=Keyword',
      ];
      expect([...declared].sort()).toEqual([...expected].sort());
      expect(new Set(declared).size).toBe(declared.length);
      // The single source of truth in the code: a new attribute there must be created here too.
      expect([...declared].sort()).toEqual([...searchAttributeDeclarations].sort());
    });

    it('creates them on the compose Temporal server, in the namespace the app uses, and tolerates a rerun', () => {
      for (const line of creations) {
        expect(line).toContain('--address temporal:7233');
        if (line.includes('--namespace')) expect(line).toContain(`--namespace ${environment(service('worker')).TEMPORAL_NAMESPACE}`);
      }
      expect(script).toContain('already exists');
      expect(setup.image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+/);
      expect(dependency(setup, 'temporal')).toBeDefined();
      expect(['no', 'on-failure', undefined]).toContain(setup.restart?.split(':')[0]);
    });
  });

  describe('record-setup', () => {
    const setup = service('record-setup');
    const script = [...(asArgv(setup.entrypoint) ?? []), ...(asArgv(setup.command) ?? [])].join('\n');

    it('gives the case record its own database and user on the PostgreSQL of the stack, the one the app connects to', () => {
      expect(dependency(setup, 'postgresql')).toBe('service_healthy');
      expect(environment(setup).PGHOST).toBe('postgresql');
      const url = new URL(String(environment(service('worker')).DATABASE_URL).replace(/\$\{[^}]*\}/, 'password'));
      expect([url.hostname, url.port, url.username, url.pathname]).toEqual(['postgresql', '5432', 'raccordo', '/raccordo']);
      expect(script).toContain('create role raccordo login');
      expect(script).toContain('create database raccordo owner raccordo');
    });

    it('tolerates a rerun and stops at the first error', () => {
      expect(script).toContain('where not exists');
      expect(script).toContain('ON_ERROR_STOP=1');
      expect(['no', 'on-failure', undefined]).toContain(setup.restart?.split(':')[0]);
    });
  });

  it('keeps closed histories in Temporal for a set time, after which the case record keeps the cases', () => {
    const setup = service('temporal-setup');
    expect(asArgv(setup.command)?.join('\n')).toMatch(/namespace update --address temporal:7233 --retention \$\{TEMPORAL_RETENTION_HOURS:-720\}h default/);
  });

  it('publishes Temporal and its UI on the loopback interface only', () => {
    expect(ports(service('temporal'))).toEqual([{ hostIp: '127.0.0.1', published: 7233, target: 7233 }]);
    expect(ports(service('temporal-ui'))).toEqual([{ hostIp: '127.0.0.1', published: 8080, target: 8080 }]);
    expect(environment(service('temporal-ui')).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  describe.each(['worker', 'api'])('%s', (name) => {
    const svc = service(name);
    const env = environment(svc);

    it('is built from the Dockerfile in the repository root', () => {
      const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      expect(build?.context ?? '.').toMatch(/^\.\/?$/);
      expect(build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
      expect(existsSync(dockerfilePath)).toBe(true);
    });

    it('gets every setting the app needs, pointing at the services of this stack', () => {
      const needed = [
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'TEMPORAL_TASK_QUEUE',
        'SMTP_HOST',
        'SMTP_PORT',
        'SMTP_SECURE',
        'SMTP_USER',
        'SMTP_PASSWORD',
        'MAIL_FROM',
        'PUBLIC_URL',
        'LOG_LEVEL',
        'RACCORDO_DEMO_MODE',
        ...(name === 'api' ? ['HOST', 'PORT'] : []),
      ];
      expect(Object.keys(env)).toEqual(expect.arrayContaining(needed));

      const temporalAddress = String(env.TEMPORAL_ADDRESS);
      const [host, port] = temporalAddress.split(':');
      expect(compose.services).toHaveProperty([host!]);
      expect(service(host!).image).toMatch(/^temporalio\/auto-setup:/);
      expect(port).toBe('7233');
      expect(env.TEMPORAL_NAMESPACE).toBe('default');
      expect(env.TEMPORAL_TASK_QUEUE).toBe('raccordo');
      // A real relay must be named: no silent fallback to localhost:1025 (the demo mail catcher).
      expect(String(env.SMTP_HOST)).toMatch(requiredReference);
      expect(String(env.PUBLIC_URL)).toMatch(anyReference);
    });

    it('sets only variables the app reads, and every one it requires', () => {
      const known = new Set([...Object.keys(configSchema.shape), 'RACCORDO_DEMO_MODE']);
      expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
      const required = Object.entries(configSchema.shape)
        .filter(([, schema]) => !schema.safeParse(undefined).success)
        .map(([key]) => key);
      expect(Object.keys(env)).toEqual(expect.arrayContaining(required));
    });

    it('runs with demo mode off, on the directory of operators mounted read-only where the app reads it', () => {
      expect(String(env.RACCORDO_DEMO_MODE)).toBe('false');
      // SOURCE:TARGET[:MODE], where SOURCE may be a ${VARIABLE:?message} with colons of its own.
      const mounted = (svc.volumes ?? []).map((volume) =>
        typeof volume === 'string'
          ? volume.match(/^(\$\{[^}]*\}|[^:]+):([^:]+)(?::(\w+))?$/)?.slice(1)
          : [volume.source, volume.target, volume.read_only ? 'ro' : undefined],
      );
      expect(mounted).toContainEqual([expect.stringMatching(requiredReference), env.RACCORDO_DIRECTORY_FILE, 'ro']);
    });

    it('starts only after the search attributes and the database of the record exist, and restarts on failure', () => {
      expect(dependency(svc, 'temporal-setup')).toBe('service_completed_successfully');
      expect(dependency(svc, 'record-setup')).toBe('service_completed_successfully');
      expect(svc.restart).toBe('unless-stopped');
    });
  });

  it('publishes the API on 3000 and the HL7 MLLP listener on 2575', () => {
    const published = ports(service('api'));
    expect(published).toContainEqual(expect.objectContaining({ published: 3000, target: 3000 }));
    expect(published).toContainEqual(expect.objectContaining({ published: 2575, target: 2575 }));
    expect(environment(service('api')).PORT).toBe(3000);
  });

  it('checks the API on /health, and does not mark the worker unhealthy for lacking it', () => {
    expect(JSON.stringify(service('api').healthcheck?.test)).toContain('http://127.0.0.1:3000/health');
    expect(service('worker').healthcheck?.disable).toBe(true);
  });

  it('writes no password into the file', () => {
    const offenders: string[] = [];
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(environment(svc))) {
        if (!/PASSWORD|PWD|SECRET|TOKEN/i.test(key)) continue;
        // null: passed through from the environment that runs compose, unset if absent.
        if (value !== null && !requiredReference.test(String(value))) offenders.push(`${name}.${key}=${String(value)}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

/** The repository's files that `entries` import, transitively: relative specifiers only, `.js` written for `.ts`. */
function localImports(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(join(root, file), 'utf8');
    for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(root, join(root, dirname(file), specifier!)).replace(/\.js$/, '.ts');
      if (existsSync(join(root, target))) pending.push(target);
    }
  }
  return seen;
}

describe('Dockerfile', () => {
  it('builds on Node 20 and runs as an unprivileged user', () => {
    expect(existsSync(dockerfilePath)).toBe(true);
    expect(baseImages.length).toBeGreaterThan(0);
    for (const image of baseImages) {
      // Either node:20-… or a stage of this file.
      if (!stages.some((stage) => / AS /i.test(stage[0]!.args) && stage[0]!.args.split(/\s+/).at(-1) === image)) {
        expect(image).toMatch(/^node:20(\.|-|$)/);
      }
    }
    const user = last('USER');
    expect(user, 'a USER instruction in the final stage').toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('runs the API by default and the worker where compose says so, from files the image contains', () => {
    expect(dockerCmd).toEqual(['node', '--import', 'tsx', 'api/main.ts']);
    const apiCommand = asArgv(service('api').command) ?? dockerCmd;
    const workerCommand = asArgv(service('worker').command) ?? dockerCmd;
    expect(entryFile(apiCommand)).toBe('api/main.ts');
    expect(entryFile(workerCommand)).toBe('worker/main.ts');
    expect(workerCommand).toEqual(['node', '--import', 'tsx', 'worker/main.ts']);
    for (const file of [entryFile(apiCommand)!, entryFile(workerCommand)!]) {
      expect(copiedDirs, `the image copies ${file}`).toContain(file.split('/')[0]);
    }
    // Every file the two entry points load, however indirectly, is in the image.
    const unshipped = [...localImports(['api/main.ts', 'worker/main.ts'])].filter((file) => !copiedDirs.includes(file.split('/')[0]!));
    expect(unshipped).toEqual([]);
    // Node resolves ESM and tsx from these.
    expect(copiedDirs).toEqual(expect.arrayContaining(['package.json', 'machines', 'workflows', 'activities', 'worker', 'api', 'scripts']));
    expect(dockerfileText).toMatch(/npm ci\b/);
  });

  it('exposes the HTTP and MLLP ports and has a health check', () => {
    const exposed = finalStage.filter((instruction) => instruction.op === 'EXPOSE').flatMap((instruction) => instruction.args.split(/\s+/));
    expect(exposed).toEqual(expect.arrayContaining(['3000', '2575']));
    expect(last('HEALTHCHECK')).toContain('/health');
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'data', '.git', '.env']));
  });
});
