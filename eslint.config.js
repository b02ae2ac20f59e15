// ESLint for the whole repository (run by `npm run lint`, which `npm test` runs first: see scripts/check.ts).
// Type-aware: each file is linted with the program of its nearest tsconfig.json (the root one, bench/, api/web/).
// The import boundaries of the folders are plain `no-restricted-imports` blocks below, one per folder, each with the
// rule of its room as the message.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The rule of each room, repeated in every message so that a failure says why, not only what. */
const rooms = {
  workflows:
    "workflows/ runs in Temporal's deterministic sandbox: it may import only @temporalio/workflow, @temporalio/common, xstate, zod, " +
    'machines/ and its own ./ files (activities as import type)',
  activities: 'workflows/ reaches activities only through proxyActivities: import them as `import type` (the sandbox must not load their code)',
  machines: 'machines/ is pure statechart logic, shared by workflows and the API: it may import only xstate, zod and its own ./ files',
  api: 'api/ is the client side of Temporal: it must not import @temporalio/worker or anything under worker/ (the worker is another process)',
  record: 'record/ is the case record, read by the API and written by the worker: it must not import either (api/, worker/, @temporalio/worker)',
  browser: 'api/web/assets is served to the browser as-is (no bundler): a browser module may import only its sibling ./*.js modules',
};

// The allow-lists are negative look-aheads: a specifier that is none of the allowed ones matches and is reported.
const workflowsAllowed = String.raw`^(?!(@temporalio/workflow|@temporalio/common|xstate|zod)(/|$)|\.\./machines/[^/]+$|\./[^/]+$|\.\./activities/)`;
const machinesAllowed = String.raw`^(?!(xstate|zod)(/|$)|\./[^/]+$)`;
// esquery cannot hold a `/` in a regex literal: \x2F is one.
const workflowsDynamicImport = String.raw`^(?!(@temporalio\x2Fworkflow|@temporalio\x2Fcommon|xstate|zod)(\x2F|$)|\.\.\x2Fmachines\x2F[^\x2F]+$|\.\x2F[^\x2F]+$)`;

export default defineConfig(
  {
    ignores: ['data/', 'test-results/', 'test/fixtures/', 'bench/results.json', 'docs/', 'coverage/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // Config and bootstrap scripts belong to no tsconfig: they get the default program.
          allowDefaultProject: ['*.js', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: globals.node,
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // `const { secret: _secret, ...rest } = value` is how the code base drops a property: the rest sibling is the use.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['api/web/assets/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: String.raw`^(?!\./[^/]+\.js$)`, message: rooms.browser }] }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: workflowsAllowed, message: rooms.workflows },
            { regex: String.raw`^\.\./activities/`, allowTypeImports: true, message: rooms.activities },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression[source.value=/${workflowsDynamicImport}/]`, message: rooms.workflows },
        { selector: "ImportExpression:not([source.type='Literal'])", message: `${rooms.workflows}: a computed import() cannot be checked` },
      ],
    },
  },
  {
    files: ['machines/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: machinesAllowed, message: rooms.machines }] }],
    },
  },
  {
    files: ['api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: String.raw`^@temporalio/worker(/|$)`, message: rooms.api },
            { regex: String.raw`^(\.\./)+worker(/|$)`, message: rooms.api },
          ],
        },
      ],
    },
  },
  {
    files: ['record/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: String.raw`^@temporalio/worker(/|$)|^(\.\./)+(api|worker)(/|$)`, message: rooms.record }] },
      ],
    },
  },
);
