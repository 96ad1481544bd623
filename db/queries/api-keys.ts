import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { apiKeys } from '../schema';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(
  db: DbOrTx,
  key: { name: string; prefix: string; secretHash: string; scopes: string[]; development: boolean; employeeId: string | null },
  options: { replace?: boolean } = {},
): Promise<ApiKeyRow> {
  const insert = db.insert(apiKeys).values(key);
  const [row] = options.replace
    ? await insert
        .onConflictDoUpdate({
          target: apiKeys.name,
          set: { prefix: key.prefix, secretHash: key.secretHash, scopes: key.scopes, development: key.development, employeeId: key.employeeId, revokedAt: null, createdAt: sql`now()` },
        })
        .returning()
    : await insert.returning();
  return row!;
}

export async function findApiKeyByPrefix(db: DbOrTx, prefix: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.prefix, prefix));
  return row;
}

/** Records use at most once a minute per key, so busy clients do not write on every request. */
export async function touchApiKey(db: DbOrTx, id: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`))));
}

export async function revokeApiKey(db: DbOrTx, name: string): Promise<boolean> {
  const rows = await db.update(apiKeys).set({ revokedAt: sql`now()` }).where(eq(apiKeys.name, name)).returning({ id: apiKeys.id });
  return rows.length > 0;
}

export async function listApiKeys(db: DbOrTx): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(apiKeys.name);
}
