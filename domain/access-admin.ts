import { parse as parseYaml } from 'yaml';
import { canonicalJson } from './canonical-json';
import { validateCatalog, validatePackage, type AccessPackage, type AccessValidationContext, type Catalog, type FieldProblem } from './access-packages';

// What saving catalogs and packages checks beyond each one's own schema — references to other
// packages, the catalog files loaded at start — and whether a saved change must reach everyone
// already known (a rollout).

/** An incompatibility must name a package that exists, so a typo cannot silently guard nothing. */
export function packageReferenceProblems(accessPackage: AccessPackage, known: ReadonlySet<string>): FieldProblem[] {
  return accessPackage.incompatibleWith.flatMap((id, i) => (known.has(id) || id === accessPackage.id ? [] : [{ path: `incompatibleWith.${i}`, message: `no access package "${id}"` }]));
}

/**
 * Why a saved package change must be planned again for everyone already known, or undefined
 * when nobody's access can change: automatic policies, resources, incompatibilities, or the switch
 * of a package with automatic policies.
 */
export function rolloutCause(before: AccessPackage | undefined, after: AccessPackage): string | undefined {
  const autoPolicies = (p: AccessPackage) => canonicalJson(p.policies.filter((policy) => policy.type === 'auto'));
  const automatic = after.policies.some((p) => p.type === 'auto');
  if (!before) return after.enabled && automatic ? 'created with automatic assignment' : undefined;
  // The switch starts and ends automatic assignments only; requested and direct ones keep their end.
  if (before.enabled !== after.enabled) return automatic ? (after.enabled ? 'enabled' : 'disabled') : undefined;
  if (!after.enabled) return undefined;
  const causes = [
    autoPolicies(before) !== autoPolicies(after) ? 'automatic assignment changed' : undefined,
    canonicalJson(before.resources) !== canonicalJson(after.resources) ? 'resources changed' : undefined,
    canonicalJson([before.incompatibleWith, before.incompatibleGroups]) !== canonicalJson([after.incompatibleWith, after.incompatibleGroups]) ? 'incompatibilities changed' : undefined,
  ].filter((c) => c !== undefined);
  return causes.length > 0 ? causes.join(', ') : undefined;
}

/** One catalog file: `catalog: {…}` and `packages: [...]`, each package in that catalog. */
export interface CatalogFile {
  file: string;
  catalog: Catalog;
  packages: AccessPackage[];
}

const fileKeys = new Set(['catalog', 'packages']);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks every catalog file before anything is saved; each problem names the file and the path
 * (`engineering.yaml: packages.1 (payments).policies.0.rule: …`). `saved` are the package ids
 * already stored, which incompatibilities may name besides those in the files.
 */
export function checkCatalogFiles(files: { name: string; text: string }[], context: AccessValidationContext, saved: readonly string[]): { ok: true; files: CatalogFile[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const checked: CatalogFile[] = [];
  const catalogFile = new Map<string, string>();
  const packageFile = new Map<string, string>();
  const labelled: { file: string; label: string; accessPackage: AccessPackage }[] = [];
  for (const { name, text } of files) {
    let content: unknown;
    try {
      content = parseYaml(text);
    } catch (error) {
      problems.push(`${name}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!isRecord(content)) {
      problems.push(`${name}: expected a mapping with catalog and packages`);
      continue;
    }
    const report = (path: string, message: string) => problems.push(`${name}: ${path}: ${message}`);
    for (const key of Object.keys(content)) if (!fileKeys.has(key)) report(key, 'unknown field');
    const catalog = validateCatalog(content.catalog);
    if (!catalog.ok) catalog.errors.forEach((e) => report(e.path === '(body)' ? 'catalog' : `catalog.${e.path}`, e.message));
    const catalogId = catalog.ok ? catalog.catalog.id : undefined;
    if (catalogId) {
      const other = catalogFile.get(catalogId);
      if (other) report('catalog.id', `catalog ${catalogId} is also defined in ${other}`);
      catalogFile.set(catalogId, name);
    }
    const rawPackages = content.packages ?? [];
    if (!Array.isArray(rawPackages)) {
      report('packages', 'expected a list of access packages');
      continue;
    }
    const packages: AccessPackage[] = [];
    rawPackages.forEach((raw: unknown, i) => {
      const label = isRecord(raw) && typeof raw.id === 'string' ? `packages.${i} (${raw.id})` : `packages.${i}`;
      if (isRecord(raw) && raw.catalog !== undefined && raw.catalog !== catalogId && catalogId) report(`${label}.catalog`, `must be ${catalogId}, the catalog of this file (or left out)`);
      // A broken catalog is reported once, above: its packages are checked for their own problems.
      const result = validatePackage(isRecord(raw) ? { catalog: catalogId ?? 'unnamed', ...raw } : raw, context);
      if (!result.ok) {
        result.errors.forEach((e) => report(e.path === '(body)' ? label : `${label}.${e.path}`, e.message));
        return;
      }
      const other = packageFile.get(result.accessPackage.id);
      if (other) report(`${label}.id`, `access package ${result.accessPackage.id} is also defined in ${other === name ? 'this file' : other}`);
      packageFile.set(result.accessPackage.id, name);
      packages.push(result.accessPackage);
      labelled.push({ file: name, label, accessPackage: result.accessPackage });
    });
    if (catalog.ok) checked.push({ file: name, catalog: catalog.catalog, packages });
  }
  const known = new Set([...saved, ...packageFile.keys()]);
  for (const { file, label, accessPackage } of labelled) {
    for (const problem of packageReferenceProblems(accessPackage, known)) problems.push(`${file}: ${label}.${problem.path}: ${problem.message}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, files: checked };
}
