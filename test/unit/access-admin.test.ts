import { describe, expect, it } from 'vitest';
import { checkCatalogFiles, packageReferenceProblems, rolloutCause } from '../../domain/access-admin';
import { validatePackage, type AccessPackage } from '../../domain/access-packages';

// Catalog files checked before anything is saved, references between packages, and which saved
// changes are rolled out to everyone.

const context = { groupTargets: ['ldap'], extensions: ['itsm'] };

const engineering = `
catalog: { id: engineering, name: Engineering, owners: [E1001] }
packages:
  - id: eng-tools
    name: Engineering tools
    resources: [{ target: ldap, group: "cn=eng-tools,ou=groups,dc=tenure,dc=test" }]
    policies: [{ id: engineers, type: auto, rule: "department eq 'Engineering'" }]
`;

const file = (name: string, text: string) => ({ name, text });

describe('checkCatalogFiles', () => {
  it('answers each catalog with its packages, which take the catalog of their file', () => {
    const result = checkCatalogFiles([file('engineering.yaml', engineering)], context, []);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.files).toMatchObject([{ file: 'engineering.yaml', catalog: { id: 'engineering', owners: ['E1001'] }, packages: [{ id: 'eng-tools', catalog: 'engineering', enabled: true }] }]);
  });

  it('names the file and the path of every problem, in every file at once', () => {
    const broken = `
catalog: { id: Finance, name: "" }
colour: red
packages:
  - id: payments
    name: Payments
    resources: [{ target: crm, group: Payments }]
    policies:
      - { id: clerks, type: auto, rule: "department eq" }
      - { id: ask, type: request, stages: [{ approvers: [{ type: manager }], onDeadline: escalate }], hooks: [{ on: created, extension: ticketing }] }
    incompatibleWith: [payment-approval]
  - name: nameless
`;
    const result = checkCatalogFiles([file('a.yaml', engineering), file('finance.yaml', broken), file('not-yaml.yml', 'catalog: [unclosed\n'), file('list.yaml', '- a\n')], context, []);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^finance\.yaml: colour: unknown field$/),
        expect.stringMatching(/^finance\.yaml: catalog\.id: lowercase letters/),
        expect.stringMatching(/^finance\.yaml: catalog\.name: /),
        'finance.yaml: packages.0 (payments).resources.0.target: no target "crm" with groups is configured (configured: ldap)',
        expect.stringMatching(/^finance\.yaml: packages\.0 \(payments\)\.policies\.0\.rule: expected a value/),
        'finance.yaml: packages.0 (payments).policies.1.stages.0.fallback: escalating at the deadline needs fallback approvers',
        'finance.yaml: packages.0 (payments).policies.1.hooks.0.extension: no custom extension "ticketing" is configured',
        expect.stringMatching(/^finance\.yaml: packages\.1\.id: /),
        expect.stringMatching(/^not-yaml\.yml: not valid YAML: /),
        'list.yaml: expected a mapping with catalog and packages',
      ]),
    );
    expect(result.problems.some((p) => p.startsWith('a.yaml'))).toBe(false);
  });

  it('refuses a catalog or package defined twice, and a package that names another catalog', () => {
    const again = engineering.replace('- id: eng-tools', '- id: eng-tools\n    catalog: finance');
    const result = checkCatalogFiles([file('a.yaml', engineering), file('b.yaml', again)], context, []);
    expect(result.ok ? [] : result.problems).toEqual([
      'b.yaml: catalog.id: catalog engineering is also defined in a.yaml',
      'b.yaml: packages.0 (eng-tools).catalog: must be engineering, the catalog of this file (or left out)',
      'b.yaml: packages.0 (eng-tools).id: access package eng-tools is also defined in a.yaml',
    ]);
  });

  it('lets an incompatibility name a package in any file or one already saved, and nothing else', () => {
    const finance = (incompatible: string) => `
catalog: { id: finance, name: Finance }
packages:
  - id: payments
    name: Payments
    resources: [{ target: ldap, group: cn=payments }]
    policies: [{ id: ask, type: request }]
    incompatibleWith: [${incompatible}]
`;
    expect(checkCatalogFiles([file('e.yaml', engineering), file('f.yaml', finance('eng-tools'))], context, []).ok).toBe(true);
    expect(checkCatalogFiles([file('f.yaml', finance('legacy-admin'))], context, ['legacy-admin']).ok).toBe(true);
    const result = checkCatalogFiles([file('f.yaml', finance('eng-tool'))], context, []);
    expect(result.ok ? [] : result.problems).toEqual(['f.yaml: packages.0 (payments).incompatibleWith.0: no access package "eng-tool"']);
  });
});

function pkg(input: Record<string, unknown>): AccessPackage {
  const result = validatePackage({ id: 'eng-tools', catalog: 'engineering', name: 'Engineering tools', resources: [{ target: 'ldap', group: 'cn=eng-tools' }], policies: [{ id: 'engineers', type: 'auto', rule: "department eq 'Engineering'" }, { id: 'ask', type: 'request' }], ...input }, context);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.accessPackage;
}

describe('rolloutCause', () => {
  const base = pkg({});

  it('rolls out what can change anyone’s access', () => {
    expect(rolloutCause(undefined, base)).toBe('created with automatic assignment');
    expect(rolloutCause(base, pkg({ policies: [{ id: 'engineers', type: 'auto', rule: "department eq 'Platform'" }, { id: 'ask', type: 'request' }] }))).toBe('automatic assignment changed');
    expect(rolloutCause(base, pkg({ resources: [{ target: 'ldap', group: 'cn=eng' }], incompatibleWith: ['payments'] }))).toBe('resources changed, incompatibilities changed');
    expect(rolloutCause(base, { ...base, enabled: false })).toBe('disabled');
    expect(rolloutCause({ ...base, enabled: false }, base)).toBe('enabled');
  });

  it('leaves everyone alone for a change no planner can see', () => {
    expect(rolloutCause(base, pkg({ name: 'Engineering tools (new name)', description: 'CI and wiki' }))).toBeUndefined();
    expect(rolloutCause(base, pkg({ policies: [{ id: 'engineers', type: 'auto', rule: "department eq 'Engineering'" }, { id: 'ask', type: 'request', justification: 'optional' }] }))).toBeUndefined();
    const requestOnly = pkg({ policies: [{ id: 'ask', type: 'request' }] });
    expect(rolloutCause(undefined, requestOnly)).toBeUndefined();
    expect(rolloutCause(requestOnly, { ...requestOnly, enabled: false })).toBeUndefined();
    const off = { ...base, enabled: false };
    expect(rolloutCause(off, { ...off, resources: [{ target: 'ldap', group: 'cn=eng' }] })).toBeUndefined();
  });
});

describe('packageReferenceProblems', () => {
  it('names each incompatibility with an unknown package by its path', () => {
    expect(packageReferenceProblems(pkg({ incompatibleWith: ['payments', 'nope'] }), new Set(['payments']))).toEqual([{ path: 'incompatibleWith.1', message: 'no access package "nope"' }]);
  });
});
