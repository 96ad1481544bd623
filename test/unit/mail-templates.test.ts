import { describe, expect, it } from 'vitest';
import { mailRecipients, templatePlaceholders, templateProblems, validateDefinition, type MailTemplate, type TaskType } from '../../domain/lifecycle-workflows';
import { defaultTemplates, formatDate, renderTemplate } from '../../domain/mail-templates';

const tapPlaceholders = ['temporaryAccessPass', 'temporaryAccessPassExpiresAt'];

const template = (subject: string, body: string): MailTemplate => ({ subject, body });

describe('renderTemplate', () => {
  it('fills every placeholder in subject and body', () => {
    const rendered = renderTemplate(template('Welcome, {{givenName}}', 'Hello {{givenName}} {{familyName}}, you join {{department}}.'), {
      givenName: 'Ada',
      familyName: 'Lovelace',
      department: 'Engineering',
    });
    expect(rendered).toEqual({ subject: 'Welcome, Ada', body: 'Hello Ada Lovelace, you join Engineering.' });
  });

  it('allows whitespace inside the braces', () => {
    expect(renderTemplate(template('{{ givenName }}', '{{\tgivenName}}|{{givenName  }}|{{\n givenName \n}}'), { givenName: 'Ada' })).toEqual({
      subject: 'Ada',
      body: 'Ada|Ada|Ada',
    });
  });

  it('fills a placeholder used more than once each time', () => {
    expect(renderTemplate(template('{{a}}{{a}}', '{{a}}, {{a}} and {{a}}'), { a: 'x' })).toEqual({ subject: 'xx', body: 'x, x and x' });
  });

  it('renders a missing or undefined value as an empty string', () => {
    expect(renderTemplate(template('Hi {{givenName}}', 'Manager: {{managerDisplayName}}.'), { givenName: undefined })).toEqual({
      subject: 'Hi',
      body: 'Manager: .',
    });
  });

  it('keeps an empty string value empty', () => {
    expect(renderTemplate(template('[{{department}}]', '[{{department}}]'), { department: '' })).toEqual({ subject: '[]', body: '[]' });
  });

  it('collapses line breaks from values into one line in the subject, and keeps them in the body', () => {
    const values = { displayName: 'Ada\r\nLovelace', department: 'Research\n\nand\rDevelopment' };
    expect(renderTemplate(template('{{displayName}} joins {{department}}', '{{displayName}}\n{{department}}'), values)).toEqual({
      subject: 'Ada Lovelace joins Research and Development',
      body: 'Ada\r\nLovelace\nResearch\n\nand\rDevelopment',
    });
  });

  it('collapses line breaks written in the subject itself and trims it', () => {
    expect(renderTemplate(template('\nHello\r\n{{givenName}}\n', 'b'), { givenName: 'Ada' }).subject).toBe('Hello Ada');
  });

  it('inserts values literally, without replacement patterns or recursive placeholders', () => {
    const values = { givenName: '$& $1 $$', familyName: '{{givenName}}' };
    expect(renderTemplate(template('{{givenName}}', '{{givenName}} {{familyName}}'), values)).toEqual({
      subject: '$& $1 $$',
      body: '$& $1 $$ {{givenName}}',
    });
  });

  it('leaves text that is not a placeholder alone', () => {
    expect(renderTemplate(template('{single} {{ }}', '{{given-name}} {{givenName'), { givenName: 'Ada' })).toEqual({
      subject: '{single} {{ }}',
      body: '{{given-name}} {{givenName',
    });
  });
});

describe('defaultTemplates', () => {
  const entries = Object.entries(defaultTemplates) as [TaskType, MailTemplate][];

  it('has a template for every task that sends mail', () => {
    expect(Object.keys(defaultTemplates).sort()).toEqual(Object.keys(mailRecipients).sort());
  });

  it.each(entries)('%s only uses placeholders its task type accepts', (type, t) => {
    const allowed = type === 'generate-temporary-access-pass' ? [...templatePlaceholders, ...tapPlaceholders] : [...templatePlaceholders];
    expect(templateProblems(t.subject, allowed)).toEqual([]);
    expect(templateProblems(t.body, allowed)).toEqual([]);
  });

  it.each(entries)('%s would be accepted as a custom template for its task', (type, t) => {
    const result = validateDefinition(
      { id: 'defaults', name: 'Defaults', category: 'leaver', trigger: { type: 'on-demand' }, tasks: [{ type, args: { template: t } }] },
      { extensions: [] },
    );
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('shows the temporary access pass in the body of its template, and nowhere else', () => {
    for (const [type, t] of entries) {
      const shows = /\{\{\s*temporaryAccessPass\s*\}\}/;
      expect(shows.test(t.subject)).toBe(false);
      expect(shows.test(t.body)).toBe(type === 'generate-temporary-access-pass');
    }
  });

  it('leaves no placeholder unfilled when every value is given', () => {
    const values = Object.fromEntries([...templatePlaceholders, ...tapPlaceholders].map((name) => [name, `<${name}>`]));
    for (const t of Object.values(defaultTemplates)) {
      const rendered = renderTemplate(t, values);
      expect(rendered.subject).not.toMatch(/\{\{|\}\}/);
      expect(rendered.body).not.toMatch(/\{\{|\}\}/);
      expect(rendered.subject).not.toMatch(/\n/);
    }
  });

  it('renders the welcome mail', () => {
    const rendered = renderTemplate(defaultTemplates['send-welcome-email']!, {
      organizationName: 'Example Ltd',
      givenName: 'Ada',
      username: 'ada.lovelace',
      workEmail: 'ada.lovelace@example.com',
      managerDisplayName: 'Charles Babbage',
    });
    expect(rendered.subject).toBe('Welcome to Example Ltd, Ada');
    expect(rendered.body).toContain('Your username is ada.lovelace and your work email is ada.lovelace@example.com.');
    expect(rendered.body).toContain('Your manager, Charles Babbage,');
  });
});

describe('formatDate', () => {
  // 23:30 UTC on 1 March is already 2 March in Berlin.
  const instant = Date.parse('2026-03-01T23:30:00Z');

  it.each([
    ['en-GB', 'Europe/Berlin', '2 March 2026'],
    ['en-GB', 'UTC', '1 March 2026'],
    ['de-DE', 'Europe/Berlin', '2. März 2026'],
    ['en-US', 'America/New_York', 'March 1, 2026'],
    ['fr-FR', 'Europe/Paris', '2 mars 2026'],
    ['ja-JP', 'Asia/Tokyo', '2026年3月2日'],
  ])('in %s and %s: %s', (locale, timeZone, expected) => {
    expect(formatDate(instant, locale, timeZone)).toBe(expected);
  });

  it('adds the local time when asked', () => {
    const berlin = formatDate(instant, 'en-GB', 'Europe/Berlin', true)!;
    expect(berlin).toContain('2 March 2026');
    expect(berlin).toContain('00:30');
    const newYork = formatDate(instant, 'en-US', 'America/New_York', true)!;
    expect(newYork).toContain('March 1, 2026');
    expect(newYork).toMatch(/6:30\sPM/);
  });

  it('uses the time zone’s offset on the date, in summer and in winter', () => {
    expect(formatDate(Date.parse('2026-07-01T22:30:00Z'), 'en-GB', 'Europe/Berlin', true)).toContain('00:30');
    expect(formatDate(Date.parse('2026-12-01T22:30:00Z'), 'en-GB', 'Europe/Berlin', true)).toContain('23:30');
  });

  it('has nothing to format without an instant', () => {
    expect(formatDate(undefined, 'en-GB', 'Europe/Berlin')).toBeUndefined();
  });
});
