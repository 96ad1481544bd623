import { describe, expect, it } from 'vitest';
import { parseScimPath, ScimTarget, scimString } from '../../activities/connectors/scim-target';
import { redact, TargetRefusedError } from '../../activities/connectors/target-connector';

/** The error parseScimPath throws for `path`; fails the test when it parses or throws something else. */
function refusal(path: string): TargetRefusedError {
  try {
    parseScimPath(path);
  } catch (error) {
    if (error instanceof TargetRefusedError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(path)} to be refused`);
}

describe('parseScimPath', () => {
  it('reads a plain attribute', () => {
    expect(parseScimPath('userName')).toEqual({ attribute: 'userName' });
  });

  it('reads a sub-attribute', () => {
    expect(parseScimPath('name.givenName')).toEqual({ attribute: 'name', sub: 'givenName' });
  });

  it('reads a filtered multi-valued attribute with a sub-attribute', () => {
    expect(parseScimPath('emails[type eq "work"].value')).toEqual({ attribute: 'emails', filter: { attribute: 'type', value: 'work' }, sub: 'value' });
  });

  it('reads a filtered multi-valued attribute without a sub-attribute', () => {
    expect(parseScimPath('phoneNumbers[type eq "mobile"]')).toEqual({ attribute: 'phoneNumbers', filter: { attribute: 'type', value: 'mobile' } });
  });

  it('unescapes quotes and backslashes in the filter value', () => {
    expect(parseScimPath('emails[type eq "say \\"hi\\""].value').filter).toEqual({ attribute: 'type', value: 'say "hi"' });
    expect(parseScimPath('emails[type eq "a\\\\b"].value').filter).toEqual({ attribute: 'type', value: 'a\\b' });
  });

  it('keeps spaces and brackets inside the quoted filter value', () => {
    expect(parseScimPath('addresses[type eq "head office [1]"].locality')).toEqual({ attribute: 'addresses', filter: { attribute: 'type', value: 'head office [1]' }, sub: 'locality' });
  });

  it.each([
    ['an empty path', ''],
    ['a path nested twice', 'name.givenName.first'],
    ['a trailing dot', 'name.'],
    ['a leading digit', '1userName'],
    ['an unquoted filter value', 'emails[type eq work].value'],
    ['another filter operator', 'emails[type co "work"].value'],
    ['a compound filter', 'emails[type eq "work" and primary eq true].value'],
    ['an unescaped quote in the filter value', 'emails[type eq "a"b"].value'],
    ['an unterminated filter value', 'emails[type eq "work\\"].value'],
    ['an unclosed filter', 'emails[type eq "work".value'],
    ['surrounding spaces', ' userName'],
  ])('refuses %s', (_, path) => {
    const error = refusal(path);
    expect(error.code).toBe('bad-path');
    expect(error.message).toContain(`"${path}"`);
  });

  it('refuses a bad managed attribute when the connector is built', () => {
    const build = () => new ScimTarget({ baseUrl: 'https://crm.example.net/scim/v2', auth: { type: 'bearer', token: 't' }, managedAttributes: ['userName', 'name.givenName.first'] });
    expect(build).toThrow(TargetRefusedError);
  });
});

describe('scimString', () => {
  it('quotes a plain value', () => {
    expect(scimString('E1001')).toBe('"E1001"');
    expect(scimString('')).toBe('""');
  });

  it('escapes quotes and backslashes', () => {
    expect(scimString('say "hi"')).toBe('"say \\"hi\\""');
    expect(scimString('DOMAIN\\ada')).toBe('"DOMAIN\\\\ada"');
    expect(scimString('\\"')).toBe('"\\\\\\""');
  });

  it('cannot be closed early by a value that tries to inject a filter', () => {
    const literal = scimString('x" or userName pr or "');
    expect(literal).toBe('"x\\" or userName pr or \\""');
    // Read back as the filter value of a path, the literal gives the original text.
    expect(parseScimPath(`emails[value eq ${literal}]`).filter?.value).toBe('x" or userName pr or "');
  });

  it('round-trips through parseScimPath', () => {
    for (const value of ['work', 'a"b', 'a\\b', '\\"\\', 'Zoë "Z" \\ Ångström']) {
      expect(parseScimPath(`emails[type eq ${scimString(value)}].value`).filter?.value).toBe(value);
    }
  });
});

describe('redact', () => {
  it.each(['unicodePwd', 'userPassword', 'password', 'UNICODEPWD', 'UserPassword', 'Password'])('replaces the value of %s', (name) => {
    expect(redact({ [name]: 'hunter2' })).toEqual({ [name]: '[redacted]' });
  });

  it('replaces a multi-valued secret as a whole', () => {
    expect(redact({ userPassword: ['{SSHA}abc', '{SSHA}def'] })).toEqual({ userPassword: '[redacted]' });
  });

  it('keeps every other attribute as it is', () => {
    const values = { cn: 'Ada Lovelace', mail: ['ada@example.com', 'ada.l@example.com'], passwordLastSet: '2024-03-01', title: undefined };
    expect(redact({ ...values, unicodePwd: '"Secret1!"' })).toEqual({ ...values, unicodePwd: '[redacted]' });
  });

  it('leaves a removed secret as undefined, so a removal still shows', () => {
    const redacted = redact({ userPassword: undefined });
    expect(redacted).toHaveProperty('userPassword', undefined);
  });

  it('does not change its argument', () => {
    const values = { password: 'hunter2', cn: 'Ada' };
    redact(values);
    expect(values).toEqual({ password: 'hunter2', cn: 'Ada' });
  });
});
