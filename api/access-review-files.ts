import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import type { Db } from '../db/client';
import { findReview, saveReview } from '../db/queries/access-reviews';
import { validateReview, type AccessReview } from '../domain/access-reviews';
import { ensureReviewSchedule } from './access-review-schedules';

/** The review files in a directory did not validate; every problem is listed by file and path. */
export class ReviewFilesError extends Error {
  constructor(readonly problems: string[]) {
    super(`access review files are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ReviewFilesError';
  }
}

/** Checks every *.yaml / *.yml file of a directory as one review each; nothing is saved unless all are valid. */
export function checkReviewFiles(dir: string): AccessReview[] {
  const problems: string[] = [];
  const reviews: AccessReview[] = [];
  const ids = new Map<string, string>();
  for (const file of readdirSync(dir).filter((name) => /\.ya?ml$/i.test(name)).sort()) {
    let content: unknown;
    try {
      content = parseYaml(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const result = validateReview(content);
    if (!result.ok) {
      problems.push(...result.errors.map((e) => `${file}: ${e.path}: ${e.message}`));
      continue;
    }
    const other = ids.get(result.review.id);
    if (other) problems.push(`${file}: id ${result.review.id} is also used by ${other}`);
    ids.set(result.review.id, file);
    reviews.push(result.review);
  }
  if (problems.length > 0) throw new ReviewFilesError(problems);
  return reviews;
}

/** Saves the reviews of a directory (a changed file is a new version); answers how many were created or changed, and the saved reviews for their schedules. */
export async function loadReviewFiles(db: Db, dir: string): Promise<{ changed: number; reviews: AccessReview[] }> {
  let changed = 0;
  const reviews: AccessReview[] = [];
  for (const review of checkReviewFiles(dir)) {
    const saved = await saveReview(db, review, { source: `file:${dir.split('/').at(-1)}/${review.id}`, actor: 'tenure:files' });
    if (saved.outcome !== 'unchanged') changed += 1;
    reviews.push((await findReview(db, review.id))!);
  }
  return { changed, reviews };
}

/** Every loaded review gets (or keeps) its schedule. */
export async function ensureReviewSchedules(client: Client, taskQueue: string, reviews: AccessReview[]): Promise<void> {
  for (const review of reviews) await ensureReviewSchedule(client, taskQueue, review);
}
