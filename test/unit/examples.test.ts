import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readCatalogFiles } from '../../api/access-catalog-files';
import { checkReviewFiles } from '../../api/access-review-files';
import { checkCatalogFiles } from '../../domain/access-admin';
import { checkOrganisationFile } from '../../domain/connected-organisations';
import { lifecycleValidationContext, loadConfig } from '../../domain/config';
import { validateDefinition } from '../../domain/lifecycle-workflows';

// The examples the README points to must keep working.

const examples = join(import.meta.dirname, '..', '..', 'examples');

describe('examples/tenure.yaml', () => {
  it('loads, with every target compiled and secrets read from the environment', () => {
    const env = {
      TENURE_CONFIG_FILE: join(examples, 'tenure.yaml'),
      TENURE_DATABASE_URL: 'postgres://tenure@db/tenure',
      LDAP_PASSWORD: 'ldap-secret',
      AD_PASSWORD: 'ad-secret',
      CRM_SCIM_TOKEN: 'crm-token',
      PAYROLL_DB_PASSWORD: 'payroll-secret',
      PORTAL_CLIENT_SECRET: 'portal-secret',
    };
    const config = loadConfig(env, { readFile: (path) => readFileSync(path, 'utf8') });
    expect(config.targets.map((t) => [t.config.name, t.config.type])).toEqual([
      ['ldap', 'ldap'],
      ['ad', 'active-directory'],
      ['crm', 'scim'],
      ['payroll', 'sql'],
    ]);
    const ad = config.targets[1]!.config;
    expect(ad.type === 'active-directory' && ad.bindPassword).toBe('ad-secret');
    const payroll = config.targets[3]!.config;
    expect(payroll.type === 'sql' && payroll.url).toBe('postgres://tenure:payroll-secret@payroll-db.example.com:5432/payroll');
    expect(config.portal.oidc).toEqual({ issuer: 'https://login.example.com/', clientId: 'tenure', clientSecret: 'portal-secret', redirectUrl: 'https://tenure.example.com/portal/callback' });
  });
});

describe('examples/lifecycle-workflows', () => {
  const dir = join(examples, 'lifecycle-workflows');
  it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s is a valid definition', (file) => {
    const result = validateDefinition(parseYaml(readFileSync(join(dir, file), 'utf8')), { extensions: [] });
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe('examples/access-catalogs', () => {
  it('are valid on the dev configuration (one OpenLDAP target), with the incompatible payments pair', () => {
    const result = checkCatalogFiles(readCatalogFiles(join(examples, 'access-catalogs')), lifecycleValidationContext(loadConfig({})), []);
    expect(result.ok ? [] : result.problems).toEqual([]);
    const packages = result.ok ? result.files.flatMap((f) => f.packages) : [];
    expect(packages.find((p) => p.id === 'payments')?.incompatibleWith).toEqual(['payment-approvals']);
    const requested = packages.find((p) => p.id === 'production-access')?.policies.find((p) => p.type === 'request');
    expect(requested).toMatchObject({ lifetime: { duration: 'P90D' }, stages: [{ approvers: [{ type: 'manager' }] }, { approvers: [{ type: 'people' }] }] });
    for (const r of packages.flatMap((p) => p.resources)) expect(r.group).toMatch(/^cn=[a-z-]+,ou=groups,dc=tenure,dc=test$/);
  });
});

describe('examples/connected-organisations.yaml', () => {
  it('is a valid file of connected organisations, one of them proposed', () => {
    const result = checkOrganisationFile(readFileSync(join(examples, 'connected-organisations.yaml'), 'utf8'));
    expect(result.ok ? [] : result.problems).toEqual([]);
    const organisations = result.ok ? result.organisations : [];
    expect(organisations.map((o) => [o.id, o.state])).toEqual([
      ['contoso', 'configured'],
      ['fabrikam', 'configured'],
      ['proposed-northwind-example', 'proposed'],
    ]);
  });
});

describe('examples/access-reviews', () => {
  it('are valid reviews: a quarterly manager review with a second stage', () => {
    const reviews = checkReviewFiles(join(examples, 'access-reviews'));
    expect(reviews.map((r) => [r.id, r.recurrence.frequency, r.stages.length, r.noResponse])).toEqual([['quarterly-managers', 'quarterly', 2, 'recommendation']]);
  });
});
