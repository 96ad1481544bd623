import { z } from 'zod';
import { guestIdPattern } from './guest-lifecycle';
import type { HrRecord } from './hr-record';
import { isPlainText, plainTextMessage } from './text';
import { formatIssues, type FieldError } from './field-errors';
import { isCalendarDate, isRfc3339Instant, isValidTimeZone, resolveInstant } from './time';

// The HR contract: what an HR system sends for one worker, and what Tenure makes of it.

export const employeeIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    error: 'use letters, digits, ".", "_" and "-", starting with a letter or digit',
  });

/** An id HR may send: any employee id but the shape kept for guests (`g-` and 16 hex digits), so the two never collide. */
const guestShaped = new RegExp(guestIdPattern.source, 'i');
export const hrEmployeeIdSchema = employeeIdSchema.refine((id) => !guestShaped.test(id), { error: 'ids of the form g-<16 hex digits> are kept for guests' });

/** Years HR dates may use; anything else is a typo (0202, 20266) that would break later. */
const plausibleYear = (value: string) => {
  // Something that is not a date at all was already reported by the format check.
  if (!/^\d{4}-/.test(value)) return true;
  const year = Number(value.slice(0, 4));
  return year >= 1900 && year <= 2200;
};
const yearMessage = 'the year must be between 1900 and 2200';
const instantMessage = 'expected an RFC 3339 date-time with offset and at most 9 fractional digits, e.g. 2026-03-01T09:00:00Z';

/** Any RFC 3339 instant with offset that can be stored (years 0001 to 9999, at most nanoseconds). */
export const instantSchema = z.string().refine(isRfc3339Instant, { error: instantMessage, abort: true }).meta({ format: 'date-time' });

const rfc3339 = instantSchema.refine(plausibleYear, { error: yearMessage });

const dateOrInstant = z
  .string()
  .refine((value) => isCalendarDate(value) || isRfc3339Instant(value), {
    error: 'expected a date (YYYY-MM-DD) or an RFC 3339 date-time with offset and at most 9 fractional digits',
    abort: true,
  })
  .refine(plausibleYear, { error: yearMessage })
  .meta({ description: 'A date (YYYY-MM-DD), placed at the configured local time in the person’s zone, or an RFC 3339 date-time with offset' });

/** Printable text, trimmed: control and format characters have no place in a name (they spoof how it reads in every directory). */
const text = (max: number) => z.string().trim().max(max).refine(isPlainText, { error: plainTextMessage });

const name = text(128).pipe(z.string().min(1));
const optionalText = (max: number) =>
  text(max)
    .nullish()
    .transform((value) => (value ? value : undefined));

/** A worker record as the HR system sends it (`PUT /v1/workers/{employeeId}`). Unknown fields are refused. */
export const workerRecordSchema = z.strictObject({
  asOf: rfc3339,
  givenName: name,
  familyName: name,
  preferredName: optionalText(128),
  displayName: optionalText(256),
  personalEmail: z.email().max(254).nullish().transform((v) => v ?? undefined),
  workEmail: z.email().max(254).nullish().transform((v) => v ?? undefined),
  employeeType: text(64)
    .pipe(z.string().min(1))
    .transform((v) => v.toLowerCase()),
  department: optionalText(128),
  jobTitle: optionalText(128),
  managerEmployeeId: employeeIdSchema.nullish().transform((v) => v ?? undefined),
  location: optionalText(128),
  timeZone: z
    .string()
    .refine(isValidTimeZone, { error: 'expected an IANA time zone, e.g. Europe/Berlin' })
    .nullish()
    .transform((v) => v ?? undefined),
  hireDate: dateOrInstant,
  leaveDate: dateOrInstant.nullish().transform((v) => v ?? undefined),
  /** When the person last signed in (from the HR or IdP feed, where it has it): access reviews recommend removing the access of the inactive. */
  lastSignIn: rfc3339.nullish().transform((v) => v ?? undefined),
});

export type WorkerRecordInput = z.input<typeof workerRecordSchema>;
export type WorkerRecord = z.output<typeof workerRecordSchema>;

/** How calendar dates become instants: organisation defaults from configuration. */
export interface DatePolicy {
  defaultTimeZone: string;
  hireLocalTime: string;
  leaveLocalTime: string;
}

export type { FieldError } from './field-errors';
export { formatIssues } from './field-errors';

export type Resolution = { ok: true; record: HrRecord } | { ok: false; errors: FieldError[] };

/** Validates a raw body for one worker and resolves its dates; every offending field is reported. */
export function resolveWorkerRecord(employeeId: unknown, body: unknown, policy: DatePolicy, pathPrefix = '', now?: number): Resolution {
  const errors: FieldError[] = [];
  const id = hrEmployeeIdSchema.safeParse(employeeId);
  if (!id.success) errors.push(...formatIssues(id.error.issues, pathPrefix ? `${pathPrefix}.employeeId` : 'employeeId'));
  const parsed = workerRecordSchema.safeParse(body);
  if (!parsed.success) errors.push(...formatIssues(parsed.error.issues, pathPrefix));
  if (!parsed.success || !id.success) return { ok: false, errors };
  return resolveParsedRecord(id.data, parsed.data, policy, pathPrefix, now);
}

/** HR clocks drift; a version stamp further ahead than this is a mistake that would freeze later records. */
const maxAsOfAheadMs = 24 * 3600_000;

/** Why an HR version stamp cannot be taken, if it cannot: more than a day ahead of `now` freezes every later record. */
export function asOfProblem(asOf: number, now: number): string | undefined {
  return asOf > now + maxAsOfAheadMs ? 'asOf is more than a day in the future' : undefined;
}

/**
 * Resolves the dates of an already validated record and checks what needs more than one field.
 * With `now`, an `asOf` more than a day ahead of it is refused.
 */
export function resolveParsedRecord(employeeId: string, input: WorkerRecord, policy: DatePolicy, pathPrefix = '', now?: number): Resolution {
  const field = (name: string) => (pathPrefix ? `${pathPrefix}.${name}` : name);
  const errors: FieldError[] = [];
  const ahead = now === undefined ? undefined : asOfProblem(Date.parse(input.asOf), now);
  if (ahead) errors.push({ path: field('asOf'), message: ahead });
  if (input.managerEmployeeId === employeeId) {
    errors.push({ path: field('managerEmployeeId'), message: 'a worker cannot be their own manager' });
  }
  const timeZone = input.timeZone ?? policy.defaultTimeZone;
  const place = (name: 'hireDate' | 'leaveDate', value: string, localTime: string): number | undefined => {
    try {
      return resolveInstant(value, timeZone, localTime);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      errors.push({ path: field(name), message: error.message });
      return undefined;
    }
  };
  const hireAt = place('hireDate', input.hireDate, policy.hireLocalTime);
  const leaveAt = input.leaveDate === undefined ? undefined : place('leaveDate', input.leaveDate, policy.leaveLocalTime);
  if (hireAt !== undefined && leaveAt !== undefined && leaveAt <= hireAt) {
    errors.push({ path: field('leaveDate'), message: 'the leave instant must be after the hire instant' });
  }
  if (errors.length > 0 || hireAt === undefined) return { ok: false, errors };
  const record: HrRecord = {
    employeeId,
    asOf: Date.parse(input.asOf),
    givenName: input.givenName,
    familyName: input.familyName,
    displayName: input.displayName ?? `${input.preferredName ?? input.givenName} ${input.familyName}`,
    employeeType: input.employeeType,
    timeZone,
    hireDate: input.hireDate,
    hireAt,
  };
  const optional = {
    preferredName: input.preferredName,
    personalEmail: input.personalEmail,
    workEmail: input.workEmail,
    department: input.department,
    jobTitle: input.jobTitle,
    managerEmployeeId: input.managerEmployeeId,
    location: input.location,
    leaveDate: input.leaveDate,
    leaveAt,
    lastSignIn: input.lastSignIn === undefined ? undefined : Date.parse(input.lastSignIn),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(record, { [key]: value });
  }
  return { ok: true, record };
}
