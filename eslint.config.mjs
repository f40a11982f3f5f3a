import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'lib/**',
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
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no Node-side modules.
    files: ['src/workflows/**/*.ts', 'src/shared/**/*.ts'],
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
              group: ['**/activities', '**/activities/*', '**/nse/*', '**/config', '**/logging', '**/simulator/*'],
              allowTypeImports: true,
              message: 'workflow code may import only types from Node-side modules',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
