// The resolved HR record that workflows carry. No schema library and no time zone data here:
// this module is bundled into the workflow sandbox.

/** A validated record with its dates resolved to instants; this is what workflows receive. */
export interface HrRecord {
  employeeId: string;
  asOf: number;
  givenName: string;
  familyName: string;
  preferredName?: string;
  displayName: string;
  personalEmail?: string;
  workEmail?: string;
  employeeType: string;
  department?: string;
  jobTitle?: string;
  managerEmployeeId?: string;
  location?: string;
  timeZone: string;
  hireDate: string;
  leaveDate?: string;
  hireAt: number;
  leaveAt?: number;
  /** The last sign-in (epoch ms), where the feed carries it. */
  lastSignIn?: number;
}

/** The attributes that flow to accounts; a change in any of them is a "mover" update. */
export const directoryAttributeKeys = [
  'givenName',
  'familyName',
  'preferredName',
  'displayName',
  'workEmail',
  'employeeType',
  'department',
  'jobTitle',
  'managerEmployeeId',
  'location',
] as const satisfies readonly (keyof HrRecord)[];

export function changedDirectoryAttributes(before: HrRecord | undefined, after: HrRecord): string[] {
  if (!before) return [];
  return directoryAttributeKeys.filter((key) => before[key] !== after[key]);
}

/** Same HR content, ignoring the version stamp: a replay of a record that was already applied. */
export function sameRecordContent(a: HrRecord, b: HrRecord): boolean {
  const strip = ({ asOf: _asOf, ...rest }: HrRecord) => rest;
  return stableJson(strip(a)) === stableJson(strip(b));
}

function stableJson(value: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(value).sort().map((key) => [key, value[key]]));
}

/** The attributes lifecycle triggers watch, as text, so a change can say from what to what. */
export function watchedAttributes(record: HrRecord): Record<string, string | undefined> {
  return {
    givenName: record.givenName,
    familyName: record.familyName,
    preferredName: record.preferredName,
    displayName: record.displayName,
    employeeType: record.employeeType,
    department: record.department,
    jobTitle: record.jobTitle,
    managerEmployeeId: record.managerEmployeeId,
    location: record.location,
    timeZone: record.timeZone,
    workEmail: record.workEmail,
    personalEmail: record.personalEmail,
    hireDate: new Date(record.hireAt).toISOString(),
    leaveDate: record.leaveAt === undefined ? undefined : new Date(record.leaveAt).toISOString(),
  };
}

export function attributeChanges(before: HrRecord, after: HrRecord): { attribute: string; from: string | undefined; to: string | undefined }[] {
  const a = watchedAttributes(before);
  const b = watchedAttributes(after);
  return Object.keys(b)
    .filter((key) => a[key] !== b[key])
    .map((attribute) => ({ attribute, from: a[attribute], to: b[attribute] }));
}
