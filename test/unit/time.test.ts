import { describe, expect, it } from 'vitest';
import { isCalendarDate, isLocalTime, isRfc3339Instant, isStorableInstant, isValidTimeZone, parseExactDuration, resolveInstant, toIso } from '../../domain/time';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const utc = (iso: string) => Date.parse(iso);

describe('parseExactDuration', () => {
  it.each([
    ['P7D', 7 * DAY],
    ['PT30S', 30 * SECOND],
    ['P1W', 7 * DAY],
    ['PT1H30M', HOUR + 30 * MINUTE],
    ['P1DT12H', DAY + 12 * HOUR],
    ['P1W2D', 9 * DAY],
    ['PT0.5S', 500],
    ['P0D', 0],
  ])('%s is %d ms', (value, ms) => {
    expect(parseExactDuration(value)).toBe(ms);
  });

  it.each(['P1M', 'P1Y', 'P1Y2D', 'P2M3DT4H', 'P0Y1M'])('refuses %s because years and months have no fixed length', (value) => {
    expect(() => parseExactDuration(value)).toThrow(RangeError);
    expect(() => parseExactDuration(value)).toThrow(/years or months/);
  });

  it('reads M after T as minutes, not months', () => {
    expect(parseExactDuration('PT1M')).toBe(MINUTE);
  });

  it.each(['garbage', '', '7D', 'p7d', 'P7', 'P2Q', '7 days'])('refuses %j as not a duration', (value) => {
    expect(() => parseExactDuration(value)).toThrow(RangeError);
    expect(() => parseExactDuration(value)).toThrow(/not an ISO 8601 duration/);
  });

  it.each(['P', 'PT'])('refuses the bare designator %j, which has no component', (value) => {
    expect(() => parseExactDuration(value)).toThrow(RangeError);
  });

  it.each(['-P1D', 'P-1D', 'PT-30S', 'P1DT-25H'])('refuses the negative duration %s', (value) => {
    expect(() => parseExactDuration(value)).toThrow(/negative/);
  });
});

describe('resolveInstant', () => {
  it('places a calendar date at the local time in the zone', () => {
    expect(resolveInstant('2026-03-02', 'Europe/Berlin', '06:00')).toBe(utc('2026-03-02T05:00:00Z'));
    expect(resolveInstant('2026-07-01', 'Europe/Berlin', '06:00')).toBe(utc('2026-07-01T04:00:00Z'));
    expect(resolveInstant('2026-07-01', 'America/New_York', '18:00')).toBe(utc('2026-07-01T22:00:00Z'));
    expect(resolveInstant('2026-07-01', 'UTC', '09:15:30')).toBe(utc('2026-07-01T09:15:30Z'));
  });

  it('moves a wall time in the Berlin spring-forward gap forward, as clocks do', () => {
    // 2026-03-29 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and becomes 03:30 CEST.
    expect(resolveInstant('2026-03-29', 'Europe/Berlin', '02:30')).toBe(utc('2026-03-29T01:30:00Z'));
  });

  it('moves a wall time in the New York spring-forward gap forward, as clocks do', () => {
    // 2026-03-08 02:00 EST jumps to 03:00 EDT; 02:30 becomes 03:30 EDT.
    expect(resolveInstant('2026-03-08', 'America/New_York', '02:30')).toBe(utc('2026-03-08T07:30:00Z'));
  });

  it('uses the offset in force after the fall-back on that day', () => {
    // 2026-10-25 03:00 CEST falls back to 02:00 CET in Berlin.
    expect(resolveInstant('2026-10-25', 'Europe/Berlin', '06:00')).toBe(utc('2026-10-25T05:00:00Z'));
    expect(resolveInstant('2026-10-25', 'Europe/Berlin', '18:00')).toBe(utc('2026-10-25T17:00:00Z'));
    expect(resolveInstant('2026-11-01', 'America/New_York', '06:00')).toBe(utc('2026-11-01T11:00:00Z'));
  });

  it('places an ambiguous fall-back wall time at one of its two real instants', () => {
    const at = resolveInstant('2026-10-25', 'Europe/Berlin', '02:30');
    expect([utc('2026-10-25T00:30:00Z'), utc('2026-10-25T01:30:00Z')]).toContain(at);
  });

  it('the day of a spring-forward is an hour shorter between the same wall times', () => {
    const before = resolveInstant('2026-03-28', 'Europe/Berlin', '06:00');
    const after = resolveInstant('2026-03-29', 'Europe/Berlin', '06:00');
    expect(after - before).toBe(23 * HOUR);
  });

  it('takes an RFC 3339 date-time with an offset as the instant it names, whatever the zone', () => {
    expect(resolveInstant('2026-03-01T09:00:00+01:00', 'Asia/Tokyo', '06:00')).toBe(utc('2026-03-01T08:00:00Z'));
    expect(resolveInstant('2026-03-01T09:00:00Z', 'America/New_York', '18:00')).toBe(utc('2026-03-01T09:00:00Z'));
    expect(resolveInstant('2026-03-01T09:00:00.250-05:00', 'UTC', '06:00')).toBe(utc('2026-03-01T14:00:00.250Z'));
  });

  it('refuses a calendar date that does not exist', () => {
    expect(() => resolveInstant('2026-02-30', 'Europe/Berlin', '06:00')).toThrow(/cannot place 2026-02-30 06:00 in Europe\/Berlin/);
  });

  it('refuses an unknown zone', () => {
    expect(() => resolveInstant('2026-02-03', 'Mars/Olympus_Mons', '06:00')).toThrow(RangeError);
  });

  it('refuses text that is neither a date nor a date-time', () => {
    expect(() => resolveInstant('soon', 'UTC', '06:00')).toThrow(/not an RFC 3339 date-time/);
  });

  it.each(['2026-03-01T09:00:00', '2026-W10'])(
    'refuses %j, which has no offset, instead of reading it in the host time zone',
    (value) => {
      expect(() => resolveInstant(value, 'Asia/Tokyo', '06:00')).toThrow(RangeError);
    },
  );
});

describe('isCalendarDate', () => {
  it.each(['2026-03-01', '2024-02-29', '2026-12-31', '2000-02-29'])('accepts %s', (value) => {
    expect(isCalendarDate(value)).toBe(true);
  });

  it.each(['2026-02-30', '2026-02-29', '1900-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-3-1', '20260301', '2026-03-01T00:00:00Z', ' 2026-03-01', ''])(
    'refuses %j',
    (value) => {
      expect(isCalendarDate(value)).toBe(false);
    },
  );
});

describe('isLocalTime', () => {
  it.each(['00:00', '06:00', '23:59', '23:59:59', '09:05:07'])('accepts %s', (value) => {
    expect(isLocalTime(value)).toBe(true);
  });

  it.each(['6:00', '24:00', '23:60', '12:00:60', '12:00:00.5', '0600', '06:00Z', '', 'noon'])('refuses %j', (value) => {
    expect(isLocalTime(value)).toBe(false);
  });
});

describe('isValidTimeZone', () => {
  it.each(['Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Kolkata', 'Etc/GMT+5'])('accepts %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['Mars/Olympus', 'Europe/Atlantis', '', 'GMT+25', 'not a zone'])('refuses %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('toIso', () => {
  it('formats epoch milliseconds as UTC RFC 3339', () => {
    expect(toIso(utc('2026-03-01T08:00:00.125Z'))).toBe('2026-03-01T08:00:00.125Z');
  });
});

describe('bounds of what can be stored', () => {
  it('refuses durations longer than 1,000 years, or too large to compute', () => {
    expect(parseExactDuration('P365000D')).toBe(365_000 * DAY);
    expect(() => parseExactDuration('P9999999999D')).toThrow(/"P9999999999D" is longer than 1,000 years/);
    expect(() => parseExactDuration('PT99999999999999999999999S')).toThrow(RangeError);
  });

  it('takes RFC 3339 instants of years 0001 to 9999 with at most nanoseconds', () => {
    expect(isRfc3339Instant('2026-12-01T09:00:00.123456789Z')).toBe(true);
    expect(isRfc3339Instant('0001-01-01T00:00:00Z')).toBe(true);
    expect(isRfc3339Instant('9999-12-31T23:59:59+00:00')).toBe(true);
    expect(isRfc3339Instant('2026-12-01T09:00:00.1111111111111111111111111111111Z')).toBe(false);
    expect(isRfc3339Instant('0000-01-01T00:00:00Z')).toBe(false);
    expect(isRfc3339Instant('-271821-04-20T00:00:00Z')).toBe(false);
    expect(isRfc3339Instant('2026-02-30T00:00:00Z')).toBe(false);
    expect(isStorableInstant(Date.parse('0000-12-31T23:59:59Z'))).toBe(false);
    expect(isStorableInstant(Number.NaN)).toBe(false);
  });

  it('refuses to resolve a date-time with more than 9 fractional digits', () => {
    expect(() => resolveInstant('2026-12-01T09:00:00.1111111111Z', 'UTC', '06:00')).toThrow(/not an RFC 3339 date-time/);
  });
});
