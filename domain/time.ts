import { DateTime, Duration, IANAZone } from 'luxon';

// Pure time helpers: every function takes the instant it needs; none reads the clock.

const localTimePattern = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
/** RFC 3339 date-time: an offset is required, so no instant depends on the machine's zone; at most nanoseconds. */
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** The instants RFC 3339 can write (years 0001 to 9999): PostgreSQL, luxon and Date all hold them. */
const earliestInstant = Date.parse('0001-01-01T00:00:00Z');
const latestInstant = Date.parse('9999-12-31T23:59:59.999Z');

/** A duration or offset longer than this would carry an HR date out of the instants that can be stored. */
export const maxDurationMs = 1000 * 365.25 * 86_400_000;

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export function isLocalTime(value: string): boolean {
  return localTimePattern.test(value);
}

export function isCalendarDate(value: string): boolean {
  return datePattern.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

/** Whether an instant (epoch milliseconds) is one RFC 3339 can write and PostgreSQL can store. */
export function isStorableInstant(epochMs: number): boolean {
  return Number.isFinite(epochMs) && epochMs >= earliestInstant && epochMs <= latestInstant;
}

/** An RFC 3339 date-time with offset, at most nanosecond precision, of a storable instant. */
export function isRfc3339Instant(value: string): boolean {
  return instantPattern.test(value) && DateTime.fromISO(value, { setZone: true }).isValid && isStorableInstant(Date.parse(value));
}

/**
 * Parses an ISO 8601 duration of weeks, days, hours, minutes and seconds into milliseconds.
 * Years and months are refused: their length depends on the calendar, and lifecycle
 * deadlines must be exact elapsed time. So is anything longer than 1,000 years.
 */
export function parseExactDuration(value: string): number {
  const duration = Duration.fromISO(value);
  // Luxon accepts a bare "P" or "PT"; ISO 8601 needs at least one component.
  if (!duration.isValid || !/\d/.test(value)) {
    throw new RangeError(`"${value}" is not an ISO 8601 duration (for example P7D or PT30S)`);
  }
  if (duration.years !== 0 || duration.quarters !== 0 || duration.months !== 0) {
    throw new RangeError(`"${value}" uses years or months; give it in weeks, days, hours, minutes or seconds (for example P30D)`);
  }
  const ms = duration.toMillis();
  if (ms < 0) throw new RangeError(`"${value}" is negative`);
  if (!Number.isFinite(ms) || ms > maxDurationMs) throw new RangeError(`"${value}" is longer than 1,000 years`);
  return ms;
}

/**
 * Turns an HR date or datetime into an instant (epoch milliseconds).
 * A calendar date means `localTime` on that day in `timeZone`; a datetime with an offset is
 * already an instant. On a daylight-saving gap the wall time moves forward, as clocks do.
 */
export function resolveInstant(value: string, timeZone: string, localTime: string): number {
  if (datePattern.test(value)) {
    const local = DateTime.fromISO(`${value}T${localTime}`, { zone: timeZone });
    if (!local.isValid) throw new RangeError(`cannot place ${value} ${localTime} in ${timeZone}`);
    return local.toMillis();
  }
  if (!isRfc3339Instant(value)) throw new RangeError(`"${value}" is not an RFC 3339 date-time`);
  return DateTime.fromISO(value, { setZone: true }).toMillis();
}

export function toIso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
