import { describe, expect, it } from 'vitest';
import { changedDirectoryAttributes, directoryAttributeKeys, sameRecordContent, type HrRecord } from '../../domain/hr-record';
import {
  formatIssues,
  resolveParsedRecord,
  resolveWorkerRecord,
  workerRecordSchema,
  type DatePolicy,
  type Resolution,
} from '../../domain/worker-record';

const policy: DatePolicy = { defaultTimeZone: 'Europe/Berlin', hireLocalTime: '06:00', leaveLocalTime: '18:00' };

const utc = (iso: string) => Date.parse(iso);

/** A valid raw body as an HR system would send it; overrides may add nulls and unknown fields. */
function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    asOf: '2026-01-15T10:00:00Z',
    givenName: 'Ada',
    familyName: 'Lovelace',
    employeeType: 'employee',
    hireDate: '2026-03-02',
    ...overrides,
  };
}

function resolved(overrides: Record<string, unknown> = {}, employeeId = 'E1001', datePolicy = policy): HrRecord {
  const result = resolveWorkerRecord(employeeId, body(overrides), datePolicy);
  if (!result.ok) throw new Error(`expected a valid record, got ${JSON.stringify(result.errors)}`);
  return result.record;
}

function errorsOf(result: Resolution) {
  if (result.ok) throw new Error('expected the record to be refused');
  return result.errors;
}

/** The distinct offending paths, sorted; one field may fail more than one check. */
const paths = (result: Resolution) => [...new Set(errorsOf(result).map((e) => e.path))].sort();

describe('resolveWorkerRecord: validation', () => {
  it('accepts a minimal record and resolves it', () => {
    const record = resolved();
    expect(record).toEqual({
      employeeId: 'E1001',
      asOf: utc('2026-01-15T10:00:00Z'),
      givenName: 'Ada',
      familyName: 'Lovelace',
      displayName: 'Ada Lovelace',
      employeeType: 'employee',
      timeZone: 'Europe/Berlin',
      hireDate: '2026-03-02',
      hireAt: utc('2026-03-02T05:00:00Z'),
    });
  });

  it('reports every offending field with its path and message', () => {
    const result = resolveWorkerRecord(
      'E1001',
      body({
        asOf: 'yesterday',
        givenName: '',
        personalEmail: 'not-an-email',
        timeZone: 'Mars/Olympus',
        hireDate: '2026-02-30',
        leaveDate: 'soon',
      }),
      policy,
    );
    const errors = errorsOf(result);
    expect(paths(result)).toEqual(['asOf', 'givenName', 'hireDate', 'leaveDate', 'personalEmail', 'timeZone']);
    expect(errors).toContainEqual({ path: 'timeZone', message: 'expected an IANA time zone, e.g. Europe/Berlin' });
    expect(errors).toContainEqual({ path: 'hireDate', message: 'expected a date (YYYY-MM-DD) or an RFC 3339 date-time with offset and at most 9 fractional digits' });
    expect(errors).toContainEqual({ path: 'asOf', message: 'expected an RFC 3339 date-time with offset and at most 9 fractional digits, e.g. 2026-03-01T09:00:00Z' });
  });

  it('reports missing required fields', () => {
    const { givenName: _g, familyName: _f, hireDate: _h, ...rest } = body();
    expect(paths(resolveWorkerRecord('E1001', rest, policy))).toEqual(['familyName', 'givenName', 'hireDate']);
  });

  it('reports each unknown field at its own path with "unknown field"', () => {
    const errors = errorsOf(resolveWorkerRecord('E1001', body({ shoeSize: 42, favouriteColour: 'teal' }), policy));
    expect(errors).toEqual([
      { path: 'shoeSize', message: 'unknown field' },
      { path: 'favouriteColour', message: 'unknown field' },
    ]);
  });

  it('reports unknown fields alongside invalid known fields', () => {
    expect(paths(resolveWorkerRecord('E1001', body({ shoeSize: 42, familyName: '' }), policy))).toEqual(['familyName', 'shoeSize']);
  });

  it('applies the batch prefix to field, unknown-field and employee id errors', () => {
    const result = resolveWorkerRecord('-bad id', body({ givenName: '', shoeSize: 42 }), policy, 'records.3');
    expect(paths(result)).toEqual(['records.3.employeeId', 'records.3.givenName', 'records.3.shoeSize']);
    expect(errorsOf(result)).toContainEqual({ path: 'records.3.shoeSize', message: 'unknown field' });
  });

  it('reports a body that is not an object at the prefix, or at (body) without one', () => {
    expect(errorsOf(resolveWorkerRecord('E1001', null, policy, 'records.3'))).toEqual([
      { path: 'records.3', message: expect.stringContaining('expected object') },
    ]);
    expect(paths(resolveWorkerRecord('E1001', [], policy))).toEqual(['(body)']);
  });

  it.each(['', '-E1', '.E1', 'E 1', 'E1/2', 'x'.repeat(65), 42, undefined])('refuses the employee id %j', (employeeId) => {
    expect(paths(resolveWorkerRecord(employeeId, body(), policy))).toEqual(['employeeId']);
  });

  it.each(['E1', 'e.1_2-3', '0', 'x'.repeat(64)])('accepts the employee id %j', (employeeId) => {
    expect(resolveWorkerRecord(employeeId, body(), policy).ok).toBe(true);
  });

  it('reports both a bad employee id and bad fields at once', () => {
    expect(paths(resolveWorkerRecord('', body({ familyName: '' }), policy))).toEqual(['employeeId', 'familyName']);
  });

  it('refuses an RFC 3339 date-time without an offset', () => {
    expect(paths(resolveWorkerRecord('E1001', body({ hireDate: '2026-03-02T09:00:00', asOf: '2026-01-15T10:00:00' }), policy))).toEqual([
      'asOf',
      'hireDate',
    ]);
  });

  it('refuses a manager id that is not a valid employee id', () => {
    expect(paths(resolveWorkerRecord('E1001', body({ managerEmployeeId: 'boss man' }), policy))).toEqual(['managerEmployeeId']);
  });

  it.each([
    ['givenName', 'Ada\u0000Lovelace'],
    ['familyName', 'Love\nlace'],
    ['preferredName', 'Ad\u001fa'],
    ['displayName', 'Ada\u007f'],
    ['department', 'R\u0007D'],
    ['employeeType', 'employ\u001bee'],
    ['jobTitle', 'Analyst \ud800'],
  ])('refuses %s holding a control character or broken UTF-16', (field, value) => {
    expect(errorsOf(resolveWorkerRecord('E1001', body({ [field]: value }), policy))).toEqual([{ path: field, message: 'must not contain control, bidirectional or other format characters' }]);
  });

  it.each([
    ['givenName', 'Ada\u202eecalevoL', 'a right-to-left override (U+202E)'],
    ['familyName', '\u2066Lovelace\u2069', 'a left-to-right isolate (U+2066)'],
    ['preferredName', 'A\u2067da\u2069', 'a right-to-left isolate (U+2067)'],
    ['displayName', 'Ada \u2068Lovelace\u2069', 'a first strong isolate (U+2068, U+2069)'],
    ['jobTitle', 'Ana\u200blyst', 'a zero width space (U+200B)'],
    ['location', 'Os\u00adlo', 'a soft hyphen (U+00AD)'],
    ['department', 'Sa\ufeffles', 'a zero width no-break space (U+FEFF)'],
  ])('refuses %s holding %s, like a control character', (field, value) => {
    expect(errorsOf(resolveWorkerRecord('E1001', body({ [field]: value }), policy))).toEqual([{ path: field, message: 'must not contain control, bidirectional or other format characters' }]);
  });

  it('refuses a date-time with more than 9 fractional digits, naming the field, and takes nanoseconds', () => {
    const long = '2026-12-01T09:00:00.1111111111111111111111111111111Z';
    expect(errorsOf(resolveWorkerRecord('E1001', body({ hireDate: long, asOf: long }), policy)).map((e) => e.path).sort()).toEqual(['asOf', 'hireDate']);
    expect(resolved({ hireDate: '2026-12-01T09:00:00.123456789Z' }).hireAt).toBe(Date.parse('2026-12-01T09:00:00.123Z'));
  });

  it('refuses year 0000 and instants beyond what can be stored, naming the field', () => {
    expect(errorsOf(resolveWorkerRecord('E1001', body({ asOf: '0000-01-01T00:00:00Z' }), policy))).toEqual([
      { path: 'asOf', message: 'expected an RFC 3339 date-time with offset and at most 9 fractional digits, e.g. 2026-03-01T09:00:00Z' },
    ]);
    expect(paths(resolveWorkerRecord('E1001', body({ hireDate: '-271821-04-20T00:00:00Z' }), policy))).toEqual(['hireDate']);
  });

  it('accepts non-ASCII letters and astral characters in names', () => {
    expect(resolved({ givenName: 'Zoë', familyName: '山田 😀' }).displayName).toBe('Zoë 山田 😀');
  });

  it.each(['givenName', 'familyName', 'employeeType'])('refuses a blank %s', (field) => {
    expect(paths(resolveWorkerRecord('E1001', body({ [field]: '   ' }), policy))).toEqual([field]);
  });

  it('refuses text fields over their limits', () => {
    const result = resolveWorkerRecord('E1001', body({ givenName: 'a'.repeat(129), displayName: 'b'.repeat(257), department: 'c'.repeat(129) }), policy);
    expect(paths(result)).toEqual(['department', 'displayName', 'givenName']);
  });
});

describe('resolveWorkerRecord: rules across fields', () => {
  it('refuses a leave date before the hire date, on leaveDate', () => {
    expect(errorsOf(resolveWorkerRecord('E1001', body({ hireDate: '2026-03-02', leaveDate: '2026-03-01' }), policy))).toEqual([
      { path: 'leaveDate', message: 'the leave instant must be after the hire instant' },
    ]);
  });

  it('refuses a leave instant equal to the hire instant', () => {
    const at = '2026-03-02T09:00:00Z';
    expect(paths(resolveWorkerRecord('E1001', body({ hireDate: at, leaveDate: at }), policy))).toEqual(['leaveDate']);
  });

  it('compares instants, not dates: leaving on the hire day at leaveLocalTime is allowed', () => {
    const record = resolved({ hireDate: '2026-03-02', leaveDate: '2026-03-02' });
    expect(record.leaveAt! - record.hireAt).toBe(12 * 3600_000);
  });

  it('refuses a same-day leave when the leave local time is not after the hire local time', () => {
    const early = { ...policy, leaveLocalTime: '06:00' };
    expect(paths(resolveWorkerRecord('E1001', body({ leaveDate: '2026-03-02' }), early))).toEqual(['leaveDate']);
  });

  it('applies the batch prefix to the leave date error', () => {
    expect(paths(resolveWorkerRecord('E1001', body({ leaveDate: '2026-01-01' }), policy, 'records.3'))).toEqual(['records.3.leaveDate']);
  });

  it('refuses a worker who is their own manager', () => {
    expect(errorsOf(resolveWorkerRecord('E1001', body({ managerEmployeeId: 'E1001' }), policy, 'records.0'))).toEqual([
      { path: 'records.0.managerEmployeeId', message: 'a worker cannot be their own manager' },
    ]);
  });

  it('reports the self-manager and the leave-before-hire problems together', () => {
    const result = resolveWorkerRecord('E1001', body({ managerEmployeeId: 'E1001', leaveDate: '2026-01-01' }), policy);
    expect(paths(result)).toEqual(['leaveDate', 'managerEmployeeId']);
  });
});

describe('resolveWorkerRecord: normalisation', () => {
  it('treats null optional fields as absent', () => {
    const record = resolved({
      preferredName: null,
      displayName: null,
      personalEmail: null,
      workEmail: null,
      department: null,
      jobTitle: null,
      managerEmployeeId: null,
      location: null,
      timeZone: null,
      leaveDate: null,
    });
    for (const key of ['preferredName', 'personalEmail', 'workEmail', 'department', 'jobTitle', 'managerEmployeeId', 'location', 'leaveDate', 'leaveAt']) {
      expect(record).not.toHaveProperty(key);
    }
    expect(record.displayName).toBe('Ada Lovelace');
    expect(record.timeZone).toBe(policy.defaultTimeZone);
  });

  it('treats blank optional text as absent and trims the rest', () => {
    const record = resolved({ givenName: '  Ada ', department: '   ', jobTitle: ' Engineer ', preferredName: '' });
    expect(record.givenName).toBe('Ada');
    expect(record.jobTitle).toBe('Engineer');
    expect(record).not.toHaveProperty('department');
    expect(record).not.toHaveProperty('preferredName');
  });

  it('keeps optional fields that are given', () => {
    const record = resolved({
      preferredName: 'Countess',
      personalEmail: 'ada@example.org',
      workEmail: 'ada.lovelace@example.com',
      department: 'Engineering',
      jobTitle: 'Analyst',
      managerEmployeeId: 'E0001',
      location: 'London',
    });
    expect(record).toMatchObject({
      preferredName: 'Countess',
      personalEmail: 'ada@example.org',
      workEmail: 'ada.lovelace@example.com',
      department: 'Engineering',
      jobTitle: 'Analyst',
      managerEmployeeId: 'E0001',
      location: 'London',
    });
  });

  it('lowercases and trims the employee type', () => {
    expect(resolved({ employeeType: ' Contractor ' }).employeeType).toBe('contractor');
  });

  it.each([
    [{}, 'Ada Lovelace'],
    [{ preferredName: 'Addie' }, 'Addie Lovelace'],
    [{ preferredName: 'Addie', displayName: 'The Countess' }, 'The Countess'],
    [{ displayName: '  ' }, 'Ada Lovelace'],
  ])('display name for %j is %j', (overrides, displayName) => {
    expect(resolved(overrides).displayName).toBe(displayName);
  });

  it('takes the time zone from the policy when the record has none', () => {
    const record = resolved({ hireDate: '2026-07-01' });
    expect(record.timeZone).toBe('Europe/Berlin');
    expect(record.hireAt).toBe(utc('2026-07-01T04:00:00Z'));
  });

  it('places dates in the record time zone at the policy local times', () => {
    const record = resolved({ timeZone: 'America/New_York', hireDate: '2026-03-02', leaveDate: '2026-07-31' });
    expect(record.timeZone).toBe('America/New_York');
    expect(record.hireAt).toBe(utc('2026-03-02T11:00:00Z'));
    expect(record.leaveAt).toBe(utc('2026-07-31T22:00:00Z'));
    expect(record.hireDate).toBe('2026-03-02');
    expect(record.leaveDate).toBe('2026-07-31');
  });

  it('uses hireLocalTime for the hire and leaveLocalTime for the leave', () => {
    const custom: DatePolicy = { defaultTimeZone: 'UTC', hireLocalTime: '09:30', leaveLocalTime: '17:45:30' };
    const record = resolved({ hireDate: '2026-03-02', leaveDate: '2026-03-09' }, 'E1001', custom);
    expect(record.hireAt).toBe(utc('2026-03-02T09:30:00Z'));
    expect(record.leaveAt).toBe(utc('2026-03-09T17:45:30Z'));
  });

  it('takes RFC 3339 dates as instants, ignoring the zone and local times', () => {
    const record = resolved({ timeZone: 'Asia/Tokyo', hireDate: '2026-03-02T09:00:00+01:00', leaveDate: '2026-04-01T00:00:00Z' });
    expect(record.hireAt).toBe(utc('2026-03-02T08:00:00Z'));
    expect(record.leaveAt).toBe(utc('2026-04-01T00:00:00Z'));
  });

  it('stamps asOf as epoch milliseconds, honouring its offset', () => {
    expect(resolved({ asOf: '2026-01-15T10:00:00.500+02:00' }).asOf).toBe(utc('2026-01-15T08:00:00.500Z'));
  });
});

describe('resolveParsedRecord', () => {
  const parsed = (overrides: Record<string, unknown> = {}) => workerRecordSchema.parse(body(overrides));

  it('resolves an already validated record the same way as the raw path', () => {
    const result = resolveParsedRecord('E1001', parsed({ leaveDate: '2026-06-30' }), policy);
    expect(result).toEqual(resolveWorkerRecord('E1001', body({ leaveDate: '2026-06-30' }), policy));
  });

  it('applies its prefix to cross-field errors', () => {
    expect(errorsOf(resolveParsedRecord('E7', parsed({ managerEmployeeId: 'E7' }), policy, 'records.12'))).toEqual([
      { path: 'records.12.managerEmployeeId', message: 'a worker cannot be their own manager' },
    ]);
    expect(paths(resolveParsedRecord('E7', parsed({ leaveDate: '2025-12-31' }), policy))).toEqual(['leaveDate']);
  });
});

describe('formatIssues', () => {
  it('joins the prefix and the issue path with dots', () => {
    expect(formatIssues([{ path: ['records', 0, 'hireDate'], message: 'bad' }], 'batch')).toEqual([{ path: 'batch.records.0.hireDate', message: 'bad' }]);
  });

  it('names the whole body when there is neither prefix nor path', () => {
    expect(formatIssues([{ path: [], message: 'expected object' }])).toEqual([{ path: '(body)', message: 'expected object' }]);
  });

  it('uses the prefix alone when the path is empty', () => {
    expect(formatIssues([{ path: [], message: 'expected object' }], 'records.3')).toEqual([{ path: 'records.3', message: 'expected object' }]);
  });

  it('splits unrecognised keys into one "unknown field" per key, under their parent path', () => {
    expect(formatIssues([{ path: ['address'], code: 'unrecognized_keys', keys: ['zip', 'planet'], message: 'Unrecognized keys' }], 'records.1')).toEqual([
      { path: 'records.1.address.zip', message: 'unknown field' },
      { path: 'records.1.address.planet', message: 'unknown field' },
    ]);
  });

  it('keeps the order of the issues', () => {
    const issues = [
      { path: ['b'], message: 'second letter' },
      { path: ['a'], message: 'first letter' },
    ];
    expect(formatIssues(issues).map((e) => e.path)).toEqual(['b', 'a']);
  });
});

describe('changedDirectoryAttributes', () => {
  it('reports nothing for a first record', () => {
    expect(changedDirectoryAttributes(undefined, resolved())).toEqual([]);
  });

  it('reports nothing when only non-directory fields change', () => {
    const before = resolved({ personalEmail: 'ada@example.org', hireDate: '2026-03-02' });
    const after = resolved({ personalEmail: 'ada@home.example', hireDate: '2026-03-09', leaveDate: '2026-12-31', asOf: '2026-02-01T00:00:00Z' });
    expect(changedDirectoryAttributes(before, after)).toEqual([]);
  });

  it('reports each changed directory attribute in the canonical order', () => {
    const before = resolved({ jobTitle: 'Analyst', department: 'Research', location: 'London' });
    const after = resolved({ jobTitle: 'Lead Analyst', department: 'Research', managerEmployeeId: 'E0001', employeeType: 'Contractor' });
    expect(changedDirectoryAttributes(before, after)).toEqual(['employeeType', 'jobTitle', 'managerEmployeeId', 'location']);
  });

  it('reports a derived display name change when the preferred name appears', () => {
    expect(changedDirectoryAttributes(resolved(), resolved({ preferredName: 'Addie' }))).toEqual(['preferredName', 'displayName']);
  });

  it('covers every directory attribute', () => {
    const before = resolved();
    const after = resolved({
      givenName: 'Augusta',
      familyName: 'King',
      preferredName: 'Addie',
      displayName: 'Countess of Lovelace',
      workEmail: 'ada@example.com',
      employeeType: 'intern',
      department: 'R&D',
      jobTitle: 'Analyst',
      managerEmployeeId: 'E0001',
      location: 'London',
    });
    expect(changedDirectoryAttributes(before, after)).toEqual([...directoryAttributeKeys]);
  });
});

describe('sameRecordContent', () => {
  it('ignores the asOf version stamp', () => {
    expect(sameRecordContent(resolved({ asOf: '2026-01-15T10:00:00Z' }), resolved({ asOf: '2026-02-15T10:00:00Z' }))).toBe(true);
  });

  it('ignores key order', () => {
    const record = resolved({ jobTitle: 'Analyst', location: 'London' });
    const reordered = Object.fromEntries(Object.entries(record).reverse()) as unknown as HrRecord;
    expect(sameRecordContent(record, reordered)).toBe(true);
  });

  it.each([
    { jobTitle: 'Lead Analyst' },
    { personalEmail: 'ada@example.org' },
    { leaveDate: '2026-12-31' },
    { hireDate: '2026-03-03' },
    { timeZone: 'Europe/London' },
  ])('sees a change in %j', (change) => {
    expect(sameRecordContent(resolved({ jobTitle: 'Analyst' }), resolved({ jobTitle: 'Analyst', ...change }))).toBe(false);
  });

  it('tells a different employee apart', () => {
    expect(sameRecordContent(resolved({}, 'E1'), resolved({}, 'E2'))).toBe(false);
  });
});
