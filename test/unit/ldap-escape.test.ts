import { describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue } from '../../activities/connectors/ldap-escape';

describe('escapeDnValue (RFC 4514)', () => {
  it.each([
    ['john.smith', 'john.smith'],
    ['Zoë Ångström', 'Zoë Ångström'],
    ['a-b_c.d', 'a-b_c.d'],
    ['', ''],
  ])('leaves %j as it is', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
  });

  it.each([
    [',', '\\,'],
    ['+', '\\+'],
    ['"', '\\"'],
    ['\\', '\\\\'],
    ['<', '\\<'],
    ['>', '\\>'],
    [';', '\\;'],
    ['=', '\\='],
  ])('escapes the special character %j anywhere in the value', (ch, escaped) => {
    expect(escapeDnValue(`a${ch}b`)).toBe(`a${escaped}b`);
    expect(escapeDnValue(ch)).toBe(escaped);
  });

  it('escapes every special character in a value holding all of them', () => {
    expect(escapeDnValue('Smith, John+"Jr"\\<x>;y=z')).toBe('Smith\\, John\\+\\"Jr\\"\\\\\\<x\\>\\;y\\=z');
  });

  it('escapes a leading space and a trailing space, but not inner ones', () => {
    expect(escapeDnValue(' John Smith ')).toBe('\\ John Smith\\ ');
    expect(escapeDnValue('John Smith')).toBe('John Smith');
  });

  it('escapes a value that is only spaces at both ends', () => {
    expect(escapeDnValue(' ')).toBe('\\ ');
    expect(escapeDnValue('  ')).toBe('\\ \\ ');
    expect(escapeDnValue('   ')).toBe('\\  \\ ');
  });

  it('escapes # only at the start', () => {
    expect(escapeDnValue('#1 fan')).toBe('\\#1 fan');
    expect(escapeDnValue('fan #1')).toBe('fan #1');
  });

  it('escapes NUL as \\00', () => {
    expect(escapeDnValue('a\u0000b')).toBe('a\\00b');
  });

  it.each([
    ['\n', '\\0a'],
    ['\r', '\\0d'],
    ['\t', '\\09'],
    ['\u001f', '\\1f'],
    ['\u007f', '\\7f'],
  ])('escapes the control character %j as a hex pair', (ch, escaped) => {
    expect(escapeDnValue(`a${ch}b`)).toBe(`a${escaped}b`);
  });

  it('leaves astral characters whole', () => {
    expect(escapeDnValue('Ada 😀')).toBe('Ada 😀');
  });

  it('produces a value that cannot start a new RDN or attribute', () => {
    const hostile = 'x,ou=admins+uid=root';
    const escaped = escapeDnValue(hostile);
    expect(escaped).toBe('x\\,ou\\=admins\\+uid\\=root');
    // Every , + = in the output is preceded by a backslash.
    expect(escaped).not.toMatch(/(^|[^\\])[,+=]/);
  });
});

describe('escapeFilterValue (RFC 4515)', () => {
  it.each([
    ['*', '\\2a'],
    ['(', '\\28'],
    [')', '\\29'],
    ['\\', '\\5c'],
    ['\u0000', '\\00'],
  ])('escapes %j', (ch, escaped) => {
    expect(escapeFilterValue(`a${ch}b`)).toBe(`a${escaped}b`);
  });

  it('neutralises a filter injection', () => {
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a');
  });

  it('keeps non-ASCII characters as UTF-8 text, since ldapts reads each \\xx as one character', () => {
    expect(escapeFilterValue('ë')).toBe('ë');
    expect(escapeFilterValue('Zoë Ångström')).toBe('Zoë Ångström');
    expect(escapeFilterValue('山田 😀')).toBe('山田 😀');
  });

  it('still escapes specials next to non-ASCII characters', () => {
    expect(escapeFilterValue('Zoë*(ö)')).toBe('Zoë\\2a\\28ö\\29');
  });

  it('escapes control characters and DEL', () => {
    expect(escapeFilterValue('\n\t\u007f')).toBe('\\0a\\09\\7f');
  });

  it.each(['john.smith', 'a-b_c ~!@#$%^&+=,;:"<>?/', 'E1001', ''])('leaves the printable ASCII %j as it is', (value) => {
    expect(escapeFilterValue(value)).toBe(value);
  });

  it('uses two lowercase hex digits per escape', () => {
    expect(escapeFilterValue('\u0001')).toBe('\\01');
    expect(escapeFilterValue('\u001b')).toBe('\\1b');
  });

  it('leaves no unescaped special or control character', () => {
    const escaped = escapeFilterValue('Zoë (*) \\ 山田\u0000\r');
    const unescaped = [...escaped.replace(/\\[0-9a-f]{2}/g, '')].filter((ch) => '*()\\'.includes(ch) || ch.charCodeAt(0) < 0x20 || ch === '\u007f');
    expect(unescaped).toEqual([]);
  });
});
