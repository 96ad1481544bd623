import { describe, expect, it } from 'vitest';
import { defaultUsernamePolicy, nameWords, usernameCandidates, validatePattern, type NameParts, type UsernamePolicy } from '../../domain/username';

const validUsername = /^[a-z][a-z0-9._-]*$/;

const person = (givenName: string, familyName: string, preferredName?: string): NameParts =>
  preferredName === undefined ? { givenName, familyName } : { givenName, familyName, preferredName };

const policy = (overrides: Partial<UsernamePolicy> = {}): UsernamePolicy => ({ ...defaultUsernamePolicy, ...overrides });

const first = (name: NameParts, p?: UsernamePolicy) => usernameCandidates(name, p)[0];

describe('nameWords', () => {
  it.each([
    ['Zoë', ['zoe']],
    ['Ångström-Øster', ['angstrom', 'oster']],
    ["O'Brien", ['obrien']],
    ['O’Brien', ['obrien']],
    ['Smith, Jr.', ['smith', 'jr']],
    ['Anne+Marie', ['anne', 'marie']],
    ['Weiß', ['weiss']],
    ['Ærø', ['aero']],
    ['Łódź', ['lodz']],
    ['Þóra', ['thora']],
    ['Đorđe', ['dorde']],
    ['Œuvre', ['oeuvre']],
    ['İlker', ['ilker']],
    ['Ｊｏｈｎ', ['john']],
    ['  Mary   Jane  ', ['mary', 'jane']],
    ['R2-D2', ['r2', 'd2']],
    ['山田', []],
    ['!!!', []],
    ['', []],
  ])('%j → %j', (name, words) => {
    expect(nameWords(name)).toEqual(words);
  });
});

describe('usernameCandidates: transliteration', () => {
  it.each([
    [person('Zoë', 'Ångström-Øster'), 'zoe.angstrom-oster'],
    [person('Seán', "O'Brien"), 'sean.obrien'],
    [person('John', 'Smith, Jr.'), 'john.smith'],
    [person('John', 'Smith III'), 'john.smith'],
    [person('Anne+Marie', 'Dupont'), 'anne-marie.dupont'],
    [person('Mary Jane', 'Watson'), 'mary-jane.watson'],
    [person('Jürgen', 'Weiß'), 'jurgen.weiss'],
    [person('Ærø', 'Sæther'), 'aero.saether'],
    [person('JOHN', 'SMITH'), 'john.smith'],
  ])('%j → %s first', (name, username) => {
    expect(first(name)).toBe(username);
  });

  it('keeps a family name that is itself a generational suffix', () => {
    expect(first(person('Malcolm', 'V'))).toBe('malcolm.v');
  });

  it('drops a suffix only after the first word of the family name', () => {
    expect(first(person('John', 'Smith Jr Sr'))).toBe('john.smith');
    expect(first(person('Ada', 'Van Ness'))).toBe('ada.van-ness');
  });
});

describe('usernameCandidates: order and uniqueness', () => {
  it('tries the default patterns in order: given.family, gfamily, then given.family2…', () => {
    const candidates = usernameCandidates(person('John', 'Smith'));
    expect(candidates.slice(0, 5)).toEqual(['john.smith', 'jsmith', 'john.smith2', 'john.smith3', 'john.smith4']);
    expect(candidates.at(-1)).toBe(`john.smith${defaultUsernamePolicy.maxSuffix}`);
    expect(candidates).toHaveLength(2 + defaultUsernamePolicy.maxSuffix - 1);
  });

  it('numbers from 2 up to maxSuffix', () => {
    expect(usernameCandidates(person('John', 'Smith'), policy({ patterns: ['{given}{n}'], maxSuffix: 4 }))).toEqual(['john2', 'john3', 'john4']);
  });

  it('renders every token', () => {
    const candidates = usernameCandidates(person('Robert', 'Li', 'Bob'), policy({ patterns: ['{preferred}.{family}', '{f}{given}', '{given}_{f}', '{g}{f}{n}'], maxSuffix: 2 }));
    expect(candidates).toEqual(['bob.li', 'lrobert', 'robert_l', 'rl2']);
  });

  it('uses the given name for {preferred} when there is no preferred name', () => {
    expect(first(person('Robert', 'Li'), policy({ patterns: ['{preferred}.{family}'] }))).toBe('robert.li');
  });

  it('falls back to the given name for {preferred} when the preferred name has no usable letters', () => {
    expect(first(person('Taro', 'Yamada', '太郎'), policy({ patterns: ['{preferred}.{family}'] }))).toBe('taro.yamada');
  });

  it('never repeats a candidate', () => {
    // {g}{family} and {given}{family} coincide for a one-letter given name.
    const candidates = usernameCandidates(person('J', 'Smith'), policy({ patterns: ['{g}{family}', '{given}{family}', '{given}.{family}', '{g}.{family}', '{g}{family}{n}'] }));
    expect(new Set(candidates).size).toBe(candidates.length);
    expect(candidates.slice(0, 3)).toEqual(['jsmith', 'j.smith', 'jsmith2']);
  });
});

describe('usernameCandidates: maxLength', () => {
  const long = person('Alexandra', 'Papadopoulou-Konstantinidou');

  it('truncates to maxLength without leaving a separator at the end', () => {
    const candidates = usernameCandidates(long, policy({ maxLength: 20 }));
    expect(candidates[0]).toBe('alexandra.papadopoul');
    for (const candidate of candidates) expect(candidate.length).toBeLessThanOrEqual(20);
    // Cutting "alexandra.papadopoulou" at 10 would leave "alexandra."; the dot goes.
    expect(first(long, policy({ maxLength: 10, patterns: ['{given}.{family}'] }))).toBe('alexandra');
  });

  it('keeps the numeric suffix when truncating', () => {
    const candidates = usernameCandidates(long, policy({ maxLength: 20 }));
    expect(candidates).toContain('alexandra.papadopou2');
    expect(candidates).toContain('alexandra.papadopo99');
    expect(usernameCandidates(person('John', 'Smith'), policy({ patterns: ['{given}.{family}{n}'], maxLength: 10, maxSuffix: 11 }))).toEqual([
      'john.smit2',
      'john.smit3',
      'john.smit4',
      'john.smit5',
      'john.smit6',
      'john.smit7',
      'john.smit8',
      'john.smit9',
      'john.smi10',
      'john.smi11',
    ]);
  });

  it('still yields distinct candidates when every one is truncated', () => {
    const candidates = usernameCandidates(long, policy({ maxLength: 8 }));
    expect(new Set(candidates).size).toBe(candidates.length);
    expect(candidates.length).toBeGreaterThan(90);
    for (const candidate of candidates) expect(candidate.length).toBeLessThanOrEqual(8);
  });
});

describe('usernameCandidates: always valid', () => {
  const names: NameParts[] = [
    person('Zoë', 'Ångström-Øster'),
    person("D'Angelo", "O'Neil-Smith"),
    person('.John.', '-Smith-'),
    person('John', '山田'),
    person('太郎', 'Yamada'),
    person('3M', 'Corp'),
    person('X Æ A-12', 'Musk'),
    person('Anne--Marie', '__Smith__'),
    person('José María', 'de la Cruz y Peña', 'Chema'),
    person('Ŀuis', 'Col·lell'),
  ];

  it.each(names)('%j yields only valid usernames', (name) => {
    const candidates = usernameCandidates(name, policy({ patterns: [...defaultUsernamePolicy.patterns, '{f}{given}', '{preferred}_{family}{n}'], maxLength: 12 }));
    expect(candidates.length).toBeGreaterThan(0);
    for (const candidate of candidates) {
      expect(candidate).toMatch(validUsername);
      expect(candidate.length).toBeLessThanOrEqual(12);
    }
  });

  it('collapses runs of separators and trims them at the ends', () => {
    expect(first(person('.John.', '-Smith-'))).toBe('john.smith');
    expect(first(person('John', 'Smith'), policy({ patterns: ['{given}..{family}'] }))).toBe('john.smith');
  });

  it('uses what is left when one name has no usable letters', () => {
    expect(usernameCandidates(person('John', '山田')).slice(0, 3)).toEqual(['john', 'j', 'john.2']);
  });

  it.each([person('太郎', '山田'), person('!!!', '???'), person('★', '☆'), person('', '')])('%j yields no candidates at all', (name) => {
    expect(usernameCandidates(name)).toEqual([]);
  });
});

describe('validatePattern', () => {
  it.each(['{given}.{family}', '{g}{family}', '{given}.{family}{n}', '{preferred}_{f}', 'x-{family}', '{family}{n}'])('accepts %s', (pattern) => {
    expect(validatePattern(pattern)).toBeUndefined();
  });

  it.each(defaultUsernamePolicy.patterns)('accepts the default pattern %s', (pattern) => {
    expect(validatePattern(pattern)).toBeUndefined();
  });

  it.each(['{givn}.{family}', '{Given}', '{given}{', '}{family}', '{given}.{surname}'])('refuses the unknown token in %s', (pattern) => {
    expect(validatePattern(pattern)).toMatch(/^unknown token in /);
  });

  it.each(['{n}', 'static', '', 'user{n}'])('refuses %j, which uses no part of the name', (pattern) => {
    expect(validatePattern(pattern)).toMatch(/uses no part of the name/);
  });

  it.each(['{given}@{family}', '{given} {family}', 'A{given}', '{given}+{family}', 'ü{family}'])('refuses %j for its characters', (pattern) => {
    expect(validatePattern(pattern)).toMatch(/has characters other than a-z 0-9 \. _ -/);
  });
});

describe('names in other scripts', () => {
  it('romanises Cyrillic and Greek', () => {
    expect(usernameCandidates({ givenName: 'Дмитрий', familyName: 'Иванов' })[0]).toBe('dmitrii.ivanov');
    expect(usernameCandidates({ givenName: 'Ελένη', familyName: 'Παπαδοπούλου' })[0]).toBe('eleni.papadopoulou');
  });

  it('falls back to the employee id when nothing of the name can be romanised', () => {
    expect(usernameCandidates({ givenName: '伟', familyName: '王', employeeId: 'E-1042' }).slice(0, 2)).toEqual(['ue-1042', 'ue-1042.2']);
    expect(usernameCandidates({ givenName: '伟', familyName: '王' })).toEqual([]);
  });
});
