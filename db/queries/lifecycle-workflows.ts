import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { canonicalJson } from '../../domain/canonical-json';
import type { DefinitionVersion, LifecycleDefinition } from '../../domain/lifecycle-workflows';
import type { DbOrTx } from '../client';
import { lifecycleWorkflows, lifecycleWorkflowVersions } from '../schema';

export type LifecycleWorkflowRow = typeof lifecycleWorkflows.$inferSelect;


/** Content that makes a new version; `enabled` is a switch on the definition, not content. */
function content(definition: LifecycleDefinition): string {
  const { enabled: _enabled, ...rest } = definition;
  return canonicalJson(rest);
}

export type SaveOutcome = 'created' | 'new-version' | 'unchanged';

/**
 * Creates the definition or stores a new version when its content changed. Runs not yet
 * started pick up the new version; runs record the version they used.
 */
export async function saveDefinition(
  db: DbOrTx,
  definition: LifecycleDefinition,
  meta: { source: string; actor: string; enabled?: boolean },
): Promise<{ outcome: SaveOutcome; version: number }> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(lifecycleWorkflows).where(eq(lifecycleWorkflows.id, definition.id)).for('update');
    const enabled = meta.enabled ?? definition.enabled;
    if (!existing) {
      await tx.insert(lifecycleWorkflows).values({ id: definition.id, name: definition.name, category: definition.category, enabled, currentVersion: 1, source: meta.source });
      await tx.insert(lifecycleWorkflowVersions).values({ workflowId: definition.id, version: 1, definition, createdBy: meta.actor });
      return { outcome: 'created' as const, version: 1 };
    }
    const [current] = await tx
      .select()
      .from(lifecycleWorkflowVersions)
      .where(and(eq(lifecycleWorkflowVersions.workflowId, definition.id), eq(lifecycleWorkflowVersions.version, existing.currentVersion)));
    if (current && content(current.definition) === content(definition)) {
      if (existing.enabled !== enabled) await tx.update(lifecycleWorkflows).set({ enabled, updatedAt: sql`now()` }).where(eq(lifecycleWorkflows.id, definition.id));
      return { outcome: 'unchanged' as const, version: existing.currentVersion };
    }
    const version = existing.currentVersion + 1;
    await tx.insert(lifecycleWorkflowVersions).values({ workflowId: definition.id, version, definition, createdBy: meta.actor });
    await tx
      .update(lifecycleWorkflows)
      .set({ name: definition.name, category: definition.category, enabled, currentVersion: version, source: meta.source, updatedAt: sql`now()` })
      .where(eq(lifecycleWorkflows.id, definition.id));
    return { outcome: 'new-version' as const, version };
  });
}

export async function setDefinitionEnabled(db: DbOrTx, id: string, enabled: boolean): Promise<boolean> {
  const rows = await db
    .update(lifecycleWorkflows)
    .set({ enabled, updatedAt: sql`now()` })
    .where(eq(lifecycleWorkflows.id, id))
    .returning({ id: lifecycleWorkflows.id });
  return rows.length > 0;
}

export interface StoredDefinition extends DefinitionVersion {
  source: string;
  createdAt: Date;
  updatedAt: Date;
}

function stored(row: LifecycleWorkflowRow, definition: LifecycleDefinition, version: number): StoredDefinition {
  return { ...definition, enabled: row.enabled, version, source: row.source, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

/** The definition at a version (default: current), with the current enabled switch. */
export async function findDefinition(db: DbOrTx, id: string, version?: number): Promise<StoredDefinition | undefined> {
  const [row] = await db.select().from(lifecycleWorkflows).where(eq(lifecycleWorkflows.id, id));
  if (!row) return undefined;
  const [found] = await db
    .select()
    .from(lifecycleWorkflowVersions)
    .where(and(eq(lifecycleWorkflowVersions.workflowId, id), eq(lifecycleWorkflowVersions.version, version ?? row.currentVersion)));
  return found ? stored(row, found.definition, found.version) : undefined;
}

/** Every definition at its current version; `enabledOnly` for planning. */
export async function listDefinitions(db: DbOrTx, options: { enabledOnly?: boolean } = {}): Promise<StoredDefinition[]> {
  const rows = await db
    .select({ workflow: lifecycleWorkflows, version: lifecycleWorkflowVersions })
    .from(lifecycleWorkflows)
    .innerJoin(
      lifecycleWorkflowVersions,
      and(eq(lifecycleWorkflowVersions.workflowId, lifecycleWorkflows.id), eq(lifecycleWorkflowVersions.version, lifecycleWorkflows.currentVersion)),
    )
    .where(options.enabledOnly ? eq(lifecycleWorkflows.enabled, true) : undefined)
    .orderBy(asc(lifecycleWorkflows.id));
  return rows.map((r) => stored(r.workflow, r.version.definition, r.version.version));
}

export async function listVersions(db: DbOrTx, id: string) {
  return db
    .select({ version: lifecycleWorkflowVersions.version, createdBy: lifecycleWorkflowVersions.createdBy, createdAt: lifecycleWorkflowVersions.createdAt })
    .from(lifecycleWorkflowVersions)
    .where(eq(lifecycleWorkflowVersions.workflowId, id))
    .orderBy(desc(lifecycleWorkflowVersions.version));
}
