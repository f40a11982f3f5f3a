import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      'lib/**',
      'lib-simulator/**',
      'simulator/bin.js',
      'node_modules/**',
      '.tools/**',
      '.temporal/**',
      '.cluster/**',
      '.python-env/**',
      'coverage/**',
      'bench-results/**',
      'bin/**',
      '*.config.*js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // A newcomer can hold each file and each function of the product and the simulator.
    files: ['src/**/*.ts', 'simulator/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500 }],
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Imports flow one way: no module imports itself back through others. import-x/no-cycle skips type-only imports
    // (no option counts them in 4.18): test/unit/import-cycles.test.ts checks src/ with them, and proves it on a probe.
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no Node-side modules. The
    // fence covers every module a workflow can import, because workflow code may import values only from the fenced
    // folders (src/workflows, src/shared): anything else, types aside, is refused here.
    files: [
      'src/workflows/**/*.ts',
      'src/shared/**/*.ts',
      'bench/workflows.ts',
      'bench/baseline-workflows.ts',
      'test/workflows/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...builtinModules.filter((m) => m !== 'assert').flatMap((m) => [m, `node:${m}`]),
            '@temporalio/activity',
            '@temporalio/client',
            '@temporalio/worker',
            'pino',
          ],
          patterns: [
            {
              // Any path up and out of the fenced folders (from src/*/ or from bench/, test/workflows/).
              regex: '^(\\.\\./)+(?!\\.\\./)(?!(src/)?(shared|workflows)(/|$))',
              allowTypeImports: true,
              message: 'workflow code imports values only from src/workflows and src/shared (types from anywhere)',
            },
          ],
        },
      ],
    },
  },
  {
    // Every entry a workflow has passes the gate (issue #24): handlers are registered only by src/workflows/entries.ts,
    // which admits each update's and signal's argument through the schema src/shared/entries.ts holds for it.
    files: ['src/workflows/**/*.ts'],
    ignores: ['src/workflows/entries.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'ImportSpecifier[imported.name=/^(setHandler|setDefaultSignalHandler|setDefaultUpdateHandler|setDefaultQueryHandler)$/]',
          message: 'register handlers with onUpdate, onSignal or onQuery of ./entries: every argument passes the gate',
        },
      ],
    },
  },
  {
    // The client library runs in the caller's process: it must not load the worker's configuration or code.
    files: ['src/client/**/*.ts', 'src/index.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // The worker's src/config.ts and src/worker.ts, its activities and dev tooling (the simulator, outside
              // src/, no module of src/ imports: test/unit/import-cycles.test.ts).
              regex: '^(\\.\\./|\\./)+(config|worker|activities|dev)(/|$)',
              allowTypeImports: true,
              message: 'the client library stays free of the worker (its config, activities) and of dev tooling',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
