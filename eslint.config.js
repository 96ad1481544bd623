import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'db/migrations/**', '.tenure/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: 'readonly', process: 'readonly' },
    },
  },
  {
    // Tests read JSON answers loosely; the assertions are the type checks.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The workflow sandbox: deterministic code only, activities by type.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'workflows run in a deterministic sandbox without Node built-ins' },
            { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'import activity types only' },
            { group: ['../db', '../db/*', '../api', '../api/*', '../worker', '../worker/*'], message: 'workflows never touch I/O' },
          ],
        },
      ],
    },
  },
  {
    // The domain: pure logic, no I/O, no Node built-ins.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'domain is pure: no Node built-ins' },
            { group: ['../*'], message: 'domain imports nothing of ours outside domain/' },
          ],
        },
      ],
    },
  },
  {
    // The people's pages reach workers through Temporal only, like the API.
    files: ['portal/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../activities', '../activities/*', '../worker', '../worker/*'], allowTypeImports: true, message: 'the portal reaches workers through Temporal only' }] }],
    },
  },
  {
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../worker', '../worker/*', '../../worker/*', '../activities', '../activities/*', '../../activities/*'], allowTypeImports: true, message: 'the API reaches workers through Temporal only' }] },
      ],
    },
  },
);
