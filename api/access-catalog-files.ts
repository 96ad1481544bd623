import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listPackages, saveCatalog } from '../db/queries/access';
import { checkCatalogFiles } from '../domain/access-admin';
import type { AccessValidationContext } from '../domain/access-packages';
import { savePackageChange, type RolloutDeps } from './access-rollouts';

/** The catalog files in a directory did not validate; every problem is listed by file and path. */
export class CatalogFilesError extends Error {
  constructor(readonly problems: string[]) {
    super(`access catalog files are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogFilesError';
  }
}

/** Reads every *.yaml / *.yml file of a directory, in name order. */
export function readCatalogFiles(dir: string): { name: string; text: string }[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/**
 * Loads a directory of catalog files (`catalog: {…}` and `packages: [...]` each) and saves them:
 * a changed package becomes a new version, and a change that can alter anyone's access is
 * rolled out. Every file is checked before anything is saved. Answers what was created or changed.
 */
export async function loadAccessCatalogFiles(deps: RolloutDeps, dir: string, context: AccessValidationContext): Promise<{ catalogs: number; packages: number; rollouts: number }> {
  const saved = (await listPackages(deps.db)).map((p) => p.id);
  const checked = checkCatalogFiles(readCatalogFiles(dir), context, saved);
  if (!checked.ok) throw new CatalogFilesError(checked.problems);
  const counts = { catalogs: 0, packages: 0, rollouts: 0 };
  for (const { file, catalog } of checked.files) {
    if ((await saveCatalog(deps.db, catalog, `file:${file}`)) !== 'unchanged') counts.catalogs += 1;
  }
  for (const { file, packages } of checked.files) {
    for (const accessPackage of packages) {
      const result = await savePackageChange(deps, accessPackage, { source: `file:${file}`, actor: 'tenure:files' });
      if (result.outcome !== 'unchanged') counts.packages += 1;
      if (result.rollout) counts.rollouts += 1;
    }
  }
  return counts;
}
