// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The library's layers, lowest first: a folder may import the folders before it, never one after
 * it, and never the wiring at the root (module, providers, index). saver/ and schema/ are peers and
 * import neither each other. docs/architecture.md draws the picture.
 */
const LAYERS = [
  ['common'],
  ['options'],
  ['connection'],
  ['resilience'],
  ['saver', 'schema'],
  ['threads'],
  ['retention'],
  ['health'],
];

/** One `no-restricted-imports` block per library folder, forbidding every import that points up. */
function layerRules() {
  return LAYERS.flatMap((peers, level) =>
    peers.map((folder) => {
      const above = LAYERS.slice(level)
        .flat()
        .filter((other) => other !== folder);
      return {
        files: [`src/checkpointer/${folder}/**/*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: [
                {
                  group: [
                    ...above.map((other) => `../${other}/*`),
                    '../checkpointer.*',
                    '../index',
                  ],
                  message: `src/checkpointer/${folder}/ may import only the layers below it (docs/architecture.md).`,
                },
              ],
            },
          ],
        },
      };
    }),
  );
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      '.data/**',
      '.artifacts/**',
      // The compat fixture apps resolve their own Nest (11 or 12) from their own node_modules,
      // which exist only inside a run: their own tsc (strict) checks them in test/compat/run.mjs.
      'test/compat/nest*/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...layerRules(),
  {
    // The demo uses the library exactly as users do: through its public index, nothing deeper.
    files: ['src/demo/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/checkpointer/*', '!**/checkpointer/index'],
              message: 'The demo imports the library from its public index only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The chat page runs in the browser: its own tsconfig (DOM, no Node), browser globals only.
    files: ['src/demo/web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests assert on loosely typed JSON bodies and driver results.
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Jest's config and our small scripts are CommonJS.
    files: [
      'jest.config.js',
      'jest.pgbouncer.config.js',
      'scripts/**/*.cjs',
      'test/support/**/*.cjs',
    ],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
