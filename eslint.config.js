// A small, deliberate rule set (typescript-eslint with type information). Formatting is not linted: the code keeps
// the layout it has. What is checked, and why:
// - no-floating-promises / no-misused-promises / await-thenable: an unawaited promise in a queue or transaction
//   path loses work silently (the transaction commits, the job acks, the error goes nowhere).
// - no-unused-vars / no-unused-expressions / no-unreachable: no dead code.
// - no-explicit-any: `any` switches the type checker off; where it is needed, say why in an
//   `eslint-disable-next-line @typescript-eslint/no-explicit-any -- reason` comment (the reason is required).
import comments from '@eslint-community/eslint-plugin-eslint-comments';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'tests/artifacts/**', '.data/**', 'openapi/**', 'migrations/**', 'console/dist/**', 'bench/_*.ts'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin, '@eslint-community/eslint-comments': comments },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-unused-expressions': 'error',
      'no-unreachable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
    },
  },
);
