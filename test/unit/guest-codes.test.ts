import { describe, expect, it } from 'vitest';
import { codeMatches, guestCodeHash } from '../../db/queries/guests';
import { formatGuestCode, judgeCode, type StoredCode } from '../../domain/guest-codes';

const now = Date.parse('2026-12-01T09:00:00Z');
const code = (overrides: Partial<StoredCode> = {}): StoredCode => ({ expiresAt: now + 600_000, attempts: 0, ...overrides });

describe('judgeCode', () => {
  it('accepts the right code while it is fresh, unused and unlocked', () => {
    expect(judgeCode(code(), true, now, 5)).toEqual({ outcome: 'accepted' });
  });

  it('refuses an expired code, even the right one, from its expiry instant on', () => {
    expect(judgeCode(code({ expiresAt: now }), true, now, 5)).toEqual({ outcome: 'expired' });
    expect(judgeCode(code({ expiresAt: now + 1 }), true, now, 5)).toEqual({ outcome: 'accepted' });
  });

  it('refuses a code that was used: single use', () => {
    expect(judgeCode(code({ usedAt: now - 1000 }), true, now, 5)).toEqual({ outcome: 'used' });
  });

  it('counts wrong tries and locks at the last one; a locked code refuses even the right code', () => {
    expect(judgeCode(code({ attempts: 0 }), false, now, 3)).toEqual({ outcome: 'wrong', attempts: 1, lock: false });
    expect(judgeCode(code({ attempts: 2 }), false, now, 3)).toEqual({ outcome: 'wrong', attempts: 3, lock: true });
    expect(judgeCode(code({ attempts: 3 }), true, now, 3)).toEqual({ outcome: 'locked' });
    expect(judgeCode(code({ lockedAt: now - 1 }), true, now, 3)).toEqual({ outcome: 'locked' });
  });
});

describe('code hashes', () => {
  const salt = '00112233445566778899aabbccddeeff';
  const row = { salt, email: 'ann@contoso.com', codeHash: guestCodeHash(salt, 'ann@contoso.com', '12345678') };

  it('match the code mailed to that address only', () => {
    expect(codeMatches(row, '12345678')).toBe(true);
    expect(codeMatches(row, '12345679')).toBe(false);
    expect(codeMatches({ ...row, email: 'bob@contoso.com' }, '12345678')).toBe(false);
  });

  it('do not survive tampering with the stored hash or salt', () => {
    const flipped = (row.codeHash[0] === '0' ? '1' : '0') + row.codeHash.slice(1);
    expect(codeMatches({ ...row, codeHash: flipped }, '12345678')).toBe(false);
    expect(codeMatches({ ...row, salt: 'ff112233445566778899aabbccddeeff' }, '12345678')).toBe(false);
    expect(codeMatches({ ...row, codeHash: row.codeHash.slice(0, 10) }, '12345678')).toBe(false);
  });

  it('never contain the code, and differ by salt for the same code', () => {
    expect(row.codeHash).not.toContain('12345678');
    expect(guestCodeHash('ffeeddccbbaa99887766554433221100', row.email, '12345678')).not.toBe(row.codeHash);
  });
});

describe('formatGuestCode', () => {
  it('is always eight digits', () => {
    expect(formatGuestCode(0)).toBe('00000000');
    expect(formatGuestCode(99_999_999)).toBe('99999999');
    expect(() => formatGuestCode(100_000_000)).toThrow();
    expect(() => formatGuestCode(1.5)).toThrow();
  });
});
