/**
 * The directions the architecture states (docs/design-notes.md, "Architecture"), checked on
 * every import of src/, type-only imports included: `npm run check:deps` (run by .ci/run; a
 * violation fails the build). test/architecture/dependency-rules.test.ts shows that each
 * rule fails on a tree that breaks it.
 */
/** The folders that talk to the world or serve a use case: nothing beneath them may import them. */
const SHELL = '^src/(http|serving|events|experiments|keys|results|cli)/|^src/(runtime|main)[.]ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      comment: 'No two files import each other, directly or through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      comment: 'Dependencies between folders point one way: no folder reaches itself again through another.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'http-only-from-main',
      comment: 'http/ adapts HTTP to the services: only main.ts starts it (and the tests); nothing else imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/http/|^src/main[.]ts$' },
      to: { path: '^src/http/' },
    },
    {
      name: 'pure-cores',
      comment:
        'stats/ and assignment/ import nothing but themselves and their pure packages (@stdlib/*, murmurhash): no node: I/O module, no store, no pg/ioredis/express/ajv. The SDK imports assignment/ as it is.',
      severity: 'error',
      from: { path: '^src/(stats|assignment)/' },
      to: { pathNot: '^src/$1/|^node_modules/(@stdlib/|murmurhash/)' },
    },
    {
      name: 'pure-model',
      comment: 'model/ (the domain: what an experiment and an API key are) is pure: it imports the pure engine, the contract\'s generated types and the errors, no I/O.',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { pathNot: '^src/(model|assignment)/|^src/contract/schema[.]ts$|^src/errors[.]ts$' },
    },
    {
      name: 'contract-beneath-services',
      comment: 'contract/ is what every layer reads: it imports no http/, no store/, no service.',
      severity: 'error',
      from: { path: '^src/contract/' },
      to: { path: `${SHELL}|^src/store/` },
    },
    {
      name: 'store-beneath-services',
      comment: 'store/ reads and writes the model; it imports no service folder (nor http/ or the CLI).',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: SHELL },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
