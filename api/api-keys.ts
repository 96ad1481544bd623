import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DbOrTx } from '../db/client';
import { findApiKeyByPrefix, insertApiKey, type ApiKeyRow } from '../db/queries/api-keys';

// API keys look like `tnr_<prefix>_<secret>`: the prefix finds the row, only a SHA-256 of the
// secret is stored, and the comparison takes the same time whatever matches.

/** `self-service` acts as the person a key is bound to: their requests, their access, the approvals waiting for them. */
export const scopes = ['hr:write', 'identities:read', 'tap:verify', 'self-service', 'admin'] as const;
export type Scope = (typeof scopes)[number];

const keyPattern = /^tnr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value);
}

export async function createApiKey(
  db: DbOrTx,
  input: { name: string; scopes: Scope[]; development?: boolean; replace?: boolean; employeeId?: string },
): Promise<{ key: string; row: ApiKeyRow }> {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const row = await insertApiKey(
    db,
    { name: input.name, prefix, secretHash: hashSecret(secret), scopes: input.scopes, development: input.development ?? false, employeeId: input.employeeId ?? null },
    { replace: input.replace },
  );
  return { key: `tnr_${prefix}_${secret}`, row };
}

/** The key row if the token is a live key; development keys count only in development mode. */
export async function verifyApiKey(db: DbOrTx, token: string, options: { allowDevelopment: boolean }): Promise<ApiKeyRow | undefined> {
  const match = keyPattern.exec(token);
  if (!match) return undefined;
  const row = await findApiKeyByPrefix(db, match[1]!);
  if (!row || row.revokedAt) return undefined;
  if (row.development && !options.allowDevelopment) return undefined;
  const given = Buffer.from(hashSecret(match[2]!), 'hex');
  const stored = Buffer.from(row.secretHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored) ? row : undefined;
}

export function hasScope(row: { scopes: readonly string[] }, scope: Scope): boolean {
  return row.scopes.includes(scope) || row.scopes.includes('admin');
}
