import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ensureDebianPackages } from '../../scripts/debian';

// docker-compose.yml is for our users; Docker does not run here, but Debian's docker-compose
// validates the file and resolves every service, variable and dependency.

const root = join(import.meta.dirname, '..', '..');

it('docker-compose.yml is valid and runs Temporal, Temporal UI, PostgreSQL, OpenLDAP, the worker and the API', () => {
  ensureDebianPackages(['docker-compose'], '/usr/bin/docker-compose');
  const compose = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  const secrets = { TENURE_POSTGRES_PASSWORD: 'pg-secret', TENURE_LDAP_BIND_PASSWORD: 'ldap-secret' };
  const result = compose(['config'], secrets);
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  const services = compose(['config', '--services'], secrets).stdout.split('\n').filter(Boolean).sort();
  expect(services).toEqual(['mail', 'openldap', 'postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'tenure-api', 'tenure-migrate', 'tenure-worker']);
  expect(result.stdout).toContain('TEMPORAL_ADDRESS: temporal:7233');
  // Temporal's unauthenticated gRPC port is not published.
  expect(result.stdout).not.toMatch(/published: 7233|7233:7233/);
  // Without the passwords the file refuses to start rather than fall back to a default.
  const unset = compose(['config']);
  expect(unset.status).not.toBe(0);
  expect(unset.stderr).toMatch(/TENURE_POSTGRES_PASSWORD|TENURE_LDAP_BIND_PASSWORD/);
});
