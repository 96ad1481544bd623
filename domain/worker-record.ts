import { z } from 'zod';
import type { HrRecord } from './hr-record';
import { isCalendarDate, isValidTimeZone, resolveInstant } from './time';

// The HR contract: what an HR system sends for one worker, and what Tenure makes of it.

export const employeeIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    error: 'use letters, digits, ".", "_" and "-", starting with a letter or digit',
  });

/** Years HR dates may use; anything else is a typo (0202, 20266) that would break later. */
const plausibleYear = (value: string) => {
  // Something that is not a date at all was already reported by the format check.
  if (!/^\d{4}-/.test(value)) return true;
  const year = Number(value.slice(0, 4));
  return year >= 1900 && year <= 2200;
};
const yearMessage = 'the year must be between 1900 and 2200';

const rfc3339 = z.iso
  .datetime({ offset: true, error: 'expected an RFC 3339 date-time with offset, e.g. 2026-03-01T09:00:00Z' })
  .refine(plausibleYear, { error: yearMessage });

const dateOrInstant = z
  .union([z.string().refine(isCalendarDate), z.iso.datetime({ offset: true })], {
    error: 'expected a date (YYYY-MM-DD) or an RFC 3339 date-time with offset',
  })
  .refine(plausibleYear, { error: yearMessage });

/** Printable text: control characters and broken UTF-16 have no place in a name (and PostgreSQL refuses NUL). */
const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((value) => !/\p{Cc}|\p{Cs}/u.test(value), { error: 'must not contain control characters' });

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
});

export type WorkerRecordInput = z.input<typeof workerRecordSchema>;
export type WorkerRecord = z.output<typeof workerRecordSchema>;

/** How calendar dates become instants: organisation defaults from configuration. */
export interface DatePolicy {
  defaultTimeZone: string;
  hireLocalTime: string;
  leaveLocalTime: string;
}

export interface FieldError {
  path: string;
  message: string;
}

export type Resolution = { ok: true; record: HrRecord } | { ok: false; errors: FieldError[] };

interface Issue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

/** Field path + message for each problem; an unknown field is reported at its own path. */
export function formatIssues(issues: readonly Issue[], prefix = ''): FieldError[] {
  const at = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || '(body)';
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' && issue.keys
      ? issue.keys.map((key) => ({ path: at([...issue.path, key]), message: 'unknown field' }))
      : [{ path: at(issue.path), message: issue.message }],
  );
}

/** Validates a raw body for one worker and resolves its dates; every offending field is reported. */
export function resolveWorkerRecord(employeeId: unknown, body: unknown, policy: DatePolicy, pathPrefix = '', now?: number): Resolution {
  const errors: FieldError[] = [];
  const id = employeeIdSchema.safeParse(employeeId);
  if (!id.success) errors.push(...formatIssues(id.error.issues, pathPrefix ? `${pathPrefix}.employeeId` : 'employeeId'));
  const parsed = workerRecordSchema.safeParse(body);
  if (!parsed.success) errors.push(...formatIssues(parsed.error.issues, pathPrefix));
  if (!parsed.success || !id.success) return { ok: false, errors };
  return resolveParsedRecord(id.data, parsed.data, policy, pathPrefix, now);
}

/** HR clocks drift; a version stamp further ahead than this is a mistake that would freeze later records. */
const maxAsOfAheadMs = 24 * 3600_000;

/**
 * Resolves the dates of an already validated record and checks what needs more than one field.
 * With `now`, an `asOf` more than a day ahead of it is refused.
 */
export function resolveParsedRecord(employeeId: string, input: WorkerRecord, policy: DatePolicy, pathPrefix = '', now?: number): Resolution {
  const field = (name: string) => (pathPrefix ? `${pathPrefix}.${name}` : name);
  const errors: FieldError[] = [];
  if (now !== undefined && Date.parse(input.asOf) > now + maxAsOfAheadMs) {
    errors.push({ path: field('asOf'), message: 'asOf is more than a day in the future' });
  }
  if (input.managerEmployeeId === employeeId) {
    errors.push({ path: field('managerEmployeeId'), message: 'a worker cannot be their own manager' });
  }
  const timeZone = input.timeZone ?? policy.defaultTimeZone;
  const hireAt = resolveInstant(input.hireDate, timeZone, policy.hireLocalTime);
  const leaveAt = input.leaveDate === undefined ? undefined : resolveInstant(input.leaveDate, timeZone, policy.leaveLocalTime);
  if (leaveAt !== undefined && leaveAt <= hireAt) {
    errors.push({ path: field('leaveDate'), message: 'the leave instant must be after the hire instant' });
  }
  if (errors.length > 0) return { ok: false, errors };
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
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(record, { [key]: value });
  }
  return { ok: true, record };
}
