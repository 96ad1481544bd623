import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The operator CLI answers usage for --help and one line for a bad option, never a stack trace.

const root = join(import.meta.dirname, '..', '..');
const tenure = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/tenure.ts', ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });

describe('npm run tenure', () => {
  it('prints usage for --help and -h, and exits 0', () => {
    for (const flag of ['--help', '-h']) {
      const run = tenure(flag);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^usage: npm run tenure -- <command>/);
      expect(run.stdout).toContain('api-key create --name NAME --scopes S,S');
      expect(run.stderr).toBe('');
    }
  });

  it('names an unknown option in one line and exits non-zero', () => {
    const run = tenure('--bogus');
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(["Unknown option '--bogus' (npm run tenure -- --help lists the commands and options)"]);
    expect(run.stderr).not.toContain('ERR_PARSE_ARGS');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names an option that lacks its value', () => {
    const run = tenure('api-key', 'create', '--name');
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe("Option '--name <value>' argument missing (npm run tenure -- --help lists the commands and options)");
  });
});
