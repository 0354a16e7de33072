// ESLint flat config (ESLint 10, ESM). Run with `npm run lint`.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Node globals used by the plain JS files (the `globals` package is not a dependency).
const nodeGlobals = {
  process: 'readonly',
  console: 'readonly',
  URL: 'readonly',
  Buffer: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
};

const unusedVars = [
  'error',
  {
    args: 'after-used',
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
    ignoreRestSiblings: true,
  },
];

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', '.data/', 'coverage/', 'bench/results/', 'test-artifacts/'],
  },

  // TypeScript sources: recommended + type-checked rules, typed through tsconfig.json
  // (which includes src, migrations, test and bench).
  {
    files: ['{src,test,migrations,bench}/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': unusedVars,
      // Nest modules and DTOs are decorated classes with no members by design.
      '@typescript-eslint/no-extraneous-class': 'off',
      // Fire-and-forget is not allowed, but `void promise` marks an intentional one.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // Express/Nest accept async handlers and async callbacks in places typed as void.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },

  // Tests: rows from DataSource.query() and parsed HTTP bodies are `any` by design.
  {
    files: ['test/**/*.ts'],
    rules: {
      // Asserting on untyped SQL rows / JSON bodies is the point of a test; typing each is noise.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // expect(service.method).toHaveBeenCalled() is idiomatic jest.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Plain JS (root config files, jest hooks such as test/support/*.mjs): ESM, not type-checked.
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: nodeGlobals,
    },
    rules: {
      'no-unused-vars': unusedVars,
    },
  },
);
