// Runs @arethetypeswrong/cli on the packed package. The package is ESM-only on purpose (see README):
// the "esm-only" profile ignores exactly the findings that come from having no CommonJS build, and
// every other finding fails the check.
import { spawnSync } from 'node:child_process';

const result = spawnSync(
  'npx',
  ['attw', '--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped'],
  {
    stdio: 'inherit',
    shell: false,
  },
);
process.exit(result.status ?? 1);
