import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Db } from '../db/client';
import { DomainTakenError, saveOrganisation } from '../db/queries/guests';
import { checkOrganisationFile } from '../domain/connected-organisations';

/** The connected organisations file did not validate (or claims a domain another organisation holds); every problem is listed. */
export class OrganisationFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`connected organisations file is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'OrganisationFileError';
  }
}

/** Loads `guests.organisationsFile` when the API starts: checked whole before anything is saved; answers how many changed. */
export async function loadOrganisationFile(db: Db, path: string): Promise<number> {
  const name = basename(path);
  const checked = checkOrganisationFile(readFileSync(path, 'utf8'));
  if (!checked.ok) throw new OrganisationFileError(checked.problems.map((p) => `${name}: ${p}`));
  let changed = 0;
  for (const [i, organisation] of checked.organisations.entries()) {
    try {
      if ((await saveOrganisation(db, organisation, `file:${name}`)) !== 'unchanged') changed += 1;
    } catch (error) {
      if (!(error instanceof DomainTakenError)) throw error;
      throw new OrganisationFileError([`${name}: organisations.${i}.domains.${organisation.domains.indexOf(error.domain)}: ${error.message}`]);
    }
  }
  return changed;
}
