#!/usr/bin/env node
// Entry for `npm run dev` and `npm test` on a fresh clone: installs the npm packages when they
// are missing or stale, then hands over to the TypeScript tooling. Plain JavaScript on purpose:
// it runs before tsx exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function packagesAreCurrent() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  return existsSync(installed) && statSync(installed).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs;
}

if (!packagesAreCurrent()) {
  console.log('[tenure] installing npm packages (npm ci) …');
  if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) process.exit(1);
}

// Also after an install that skipped the postinstall script (npm 11 without approval).
if (run(process.execPath, [join('scripts', 'patch-postgres.mjs')]) !== 0) process.exit(1);

const [command, ...rest] = process.argv.slice(2);
if (command === 'dev') {
  process.exit(run(bin('tsx'), [join('scripts', 'dev.ts'), ...rest]));
} else if (command === 'test') {
  for (const [tool, args] of [
    ['tsc', ['-p', '.']],
    ['eslint', ['.']],
    ['vitest', ['run', ...rest]],
  ]) {
    console.log(`[tenure] ${tool} ${args.join(' ')}`);
    const status = run(bin(tool), args);
    if (status !== 0) process.exit(status);
  }
} else {
  console.error('usage: node scripts/bootstrap.mjs dev|test');
  process.exit(2);
}
