// Guest sign-in codes: 8 digits mailed to an address, valid for minutes, good for one sign-in,
// locked after a few wrong tries. Pure: the caller hashes and compares, and applies the verdict.

export const guestCodePattern = /^[0-9]{8}$/;

export interface StoredCode {
  expiresAt: number;
  usedAt?: number;
  lockedAt?: number;
  /** Wrong tries so far. */
  attempts: number;
}

export type CodeVerdict =
  | { outcome: 'accepted' }
  /** Wrong: `lock` when this try used up the last attempt. */
  | { outcome: 'wrong'; attempts: number; lock: boolean }
  | { outcome: 'expired' | 'used' | 'locked' };

/** What a try with a code that `matches` (or not) does to the stored code at `now`. */
export function judgeCode(code: StoredCode, matches: boolean, now: number, maxAttempts: number): CodeVerdict {
  if (code.usedAt !== undefined) return { outcome: 'used' };
  if (code.lockedAt !== undefined || code.attempts >= maxAttempts) return { outcome: 'locked' };
  if (now >= code.expiresAt) return { outcome: 'expired' };
  if (matches) return { outcome: 'accepted' };
  const attempts = code.attempts + 1;
  return { outcome: 'wrong', attempts, lock: attempts >= maxAttempts };
}

/** Eight digits from a source of uniform integers below 10^8 (crypto.randomInt at the caller). */
export function formatGuestCode(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value >= 100_000_000) throw new RangeError('a guest code is a number below 10^8');
  return String(value).padStart(8, '0');
}
