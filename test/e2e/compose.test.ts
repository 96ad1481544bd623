import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ensureDebianPackages } from '../../scripts/debian';

// docker-compose.yml is for our users; Docker does not run here, but Debian's docker-compose
// validates the file and resolves every service, variable and dependency.

const root = join(import.meta.dirname, '..', '..');

it('docker-compose.yml is valid and runs Temporal, Temporal UI, PostgreSQL, OpenLDAP, the worker and the API', () => {
  ensureDebianPackages(['docker-compose'], '/usr/bin/docker-compose');
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  const services = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services'], { cwd: root, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
  expect(services).toEqual(['openldap', 'postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'tenure-api', 'tenure-migrate', 'tenure-worker']);
  expect(result.stdout).toContain('TEMPORAL_ADDRESS: temporal:7233');
});
