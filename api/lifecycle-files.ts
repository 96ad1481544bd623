import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Db } from '../db/client';
import { saveDefinition } from '../db/queries/lifecycle-workflows';
import { validateDefinition, type ValidationContext } from '../domain/lifecycle-workflows';

/** The definitions in a directory of YAML files did not validate; every problem is listed by file. */
export class LifecycleFilesError extends Error {
  constructor(readonly problems: string[]) {
    super(`lifecycle workflow files are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'LifecycleFilesError';
  }
}

/**
 * Loads every *.yaml / *.yml file of a directory as a lifecycle workflow definition and saves
 * it (a new version when its content changed). All files are checked before any is saved.
 * Answers how many definitions were created or changed.
 */
export async function loadLifecycleWorkflowFiles(db: Db, dir: string, context: ValidationContext): Promise<number> {
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort();
  const problems: string[] = [];
  const valid = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    let content: unknown;
    try {
      content = parseYaml(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const result = validateDefinition(content, context);
    if (!result.ok) {
      problems.push(...result.errors.map((e) => `${file}: ${e.path}: ${e.message}`));
      continue;
    }
    const other = ids.get(result.definition.id);
    if (other) problems.push(`${file}: id ${result.definition.id} is also used by ${other}`);
    ids.set(result.definition.id, file);
    valid.push({ file, definition: result.definition });
  }
  if (problems.length > 0) throw new LifecycleFilesError(problems);
  let changed = 0;
  for (const { file, definition } of valid) {
    const saved = await saveDefinition(db, definition, { source: `file:${file}`, actor: 'tenure:files' });
    if (saved.outcome !== 'unchanged') changed += 1;
  }
  return changed;
}
