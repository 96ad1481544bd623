import { randomBytes } from 'node:crypto';
import type { WorkerRecordInput } from '../../domain/worker-record';

// Small builders for test data: a valid record by default, overridden field by field.

let lastAsOf = 0;

/** A strictly increasing HR version stamp, so consecutive records are never equal by accident. */
export function nextAsOf(): string {
  lastAsOf = Math.max(Date.now(), lastAsOf + 1);
  return new Date(lastAsOf).toISOString();
}

export function newEmployeeId(prefix = 'E'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** An instant `ms` from now as RFC 3339. */
export function inMs(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

export function workerRecord(overrides: Partial<WorkerRecordInput> = {}): WorkerRecordInput {
  return {
    asOf: nextAsOf(),
    givenName: 'Ada',
    familyName: `Lovelace${randomBytes(3).toString('hex')}`,
    employeeType: 'employee',
    department: 'Engineering',
    jobTitle: 'Engineer',
    timeZone: 'Europe/London',
    hireDate: inMs(-24 * 3600_000),
    ...overrides,
  };
}
