import { describe, expect, it } from 'vitest';
import { toCsv } from '../../api/csv';

/** A strict RFC 4180 reader, so assertions are about the cells a spreadsheet would show. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && cell === '') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted cell');
        if (text[i] === '"' && text[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else {
          cell += text[i++];
        }
      }
      if (i < text.length && text[i] !== ',' && !text.startsWith('\r\n', i)) throw new Error(`text after a quoted cell at ${i}`);
    } else if (text[i] === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (text.startsWith('\r\n', i)) {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 2;
    } else {
      if (text[i] === '"' || text[i] === '\r' || text[i] === '\n') throw new Error(`unquoted special character at ${i}`);
      cell += text[i++];
    }
  }
  if (cell !== '' || row.length > 0) throw new Error('the last record does not end with CRLF');
  return rows;
}

/** The cell a single value becomes. */
const cellOf = (value: unknown) => parseCsv(toCsv([{ value }]))[1]![0];

describe('toCsv', () => {
  it('is empty without rows', () => {
    expect(toCsv([])).toBe('');
  });

  it('writes a header from the first row, then one CRLF-terminated line per row', () => {
    const csv = toCsv([
      { employeeId: 'E1001', department: 'Sales', level: 3 },
      { employeeId: 'E1002', department: 'Marketing', level: 4 },
    ]);
    expect(csv).toBe('employeeId,department,level\r\nE1001,Sales,3\r\nE1002,Marketing,4\r\n');
  });

  it('takes columns from the first row only: later extra keys are left out, missing ones are empty', () => {
    const csv = toCsv([{ a: '1', b: '2' }, { b: '4', c: '5' }, { a: '6' }]);
    expect(parseCsv(csv)).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['', '4'],
      ['6', ''],
    ]);
  });

  it('writes a header even for a row of empty values', () => {
    expect(toCsv([{ a: null, b: undefined }])).toBe('a,b\r\n,\r\n');
  });

  it.each([
    ['a comma', 'Smith, Jr.', '"Smith, Jr."'],
    ['a double quote', 'The "Boss"', '"The ""Boss"""'],
    ['only a double quote', '"', '""""'],
    ['a newline', 'line one\nline two', '"line one\nline two"'],
    ['a CRLF', 'line one\r\nline two', '"line one\r\nline two"'],
    ['a carriage return', 'a\rb', '"a\rb"'],
  ])('quotes a value with %s', (_what, value, written) => {
    expect(toCsv([{ value }])).toBe(`value\r\n${written}\r\n`);
    expect(cellOf(value)).toBe(value);
  });

  it.each([
    ['plain text', 'Sales', 'Sales'],
    ['text with spaces', 'Account Executive', 'Account Executive'],
    ['non-ASCII text', 'Zoë Ångström', 'Zoë Ångström'],
    ['an ISO instant', '2026-03-02T05:00:00.000Z', '2026-03-02T05:00:00.000Z'],
  ])('writes %s as it is', (_what, value, written) => {
    expect(toCsv([{ value }])).toBe(`value\r\n${written}\r\n`);
  });

  it.each([
    ['a number', 42, '42'],
    ['a decimal', 3.5, '3.5'],
    ['zero', 0, '0'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null', null, ''],
    ['undefined', undefined, ''],
    ['an empty string', '', ''],
  ])('writes %s as %j', (_what, value, cell) => {
    expect(cellOf(value)).toBe(cell);
  });

  it.each([
    ['an object', { dn: 'uid=ada,ou=people', enabled: true }],
    ['an array', ['staff', 'vpn-users']],
    ['a nested object', { groups: [{ cn: 'staff' }], note: 'a, "b"\nc' }],
    ['an empty object', {}],
  ])('writes %s as JSON', (_what, value) => {
    expect(JSON.parse(cellOf(value)!)).toEqual(value);
  });

  it('quotes JSON, whose quotes and commas would otherwise break the line', () => {
    expect(toCsv([{ value: { a: 1, b: 'x' } }])).toBe('value\r\n"{""a"":1,""b"":""x""}"\r\n');
  });

  it.each([
    ['=SUM(A1:A9)'],
    ['=HYPERLINK("http://evil.example","click")'],
    ['+1+2'],
    ['-2+3'],
    ['@SUM(A1)'],
    ['\t=1'],
    ['\r=1'],
  ])('defuses the spreadsheet formula %j by starting it with an apostrophe', (value) => {
    expect(cellOf(value)).toBe(`'${value}`);
  });

  it('leaves = + - @ alone when they are not the first character', () => {
    expect(cellOf('a=b')).toBe('a=b');
    expect(cellOf('x-1')).toBe('x-1');
    expect(cellOf('user@example.com')).toBe('user@example.com');
  });

  it('defuses formulas in every row and column', () => {
    const rows = parseCsv(toCsv([{ a: '=1', b: 'ok' }, { a: 'ok', b: '@x' }]));
    expect(rows).toEqual([
      ['a', 'b'],
      ["'=1", 'ok'],
      ['ok', "'@x"],
    ]);
  });

  it('keeps every row on the line count it should have, whatever the values', () => {
    const rows = [{ note: 'a\r\nb\nc', json: { x: 'y\nz' } }, { note: '"', json: null }];
    expect(parseCsv(toCsv(rows))).toEqual([
      ['note', 'json'],
      ['a\r\nb\nc', '{"x":"y\\nz"}'],
      ['"', ''],
    ]);
  });
});
