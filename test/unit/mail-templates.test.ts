import { describe, expect, it } from 'vitest';
import { mailRecipients, templatePlaceholders, templateProblems, validateDefinition, type MailTemplate, type TaskType } from '../../domain/lifecycle-workflows';
import { defaultTemplates, formatDate, renderTemplate } from '../../domain/mail-templates';

const tapPlaceholders = ['temporaryAccessPass', 'temporaryAccessPassExpiresAt'];

const template = (subject: string, body: string): MailTemplate => ({ subject, body });

describe('renderTemplate', () => {
  const filled = (subject: string, body: string) => ({ subject, body, missing: [] });

  it('fills every placeholder in subject and body', () => {
    const rendered = renderTemplate(template('Welcome, {{givenName}}', 'Hello {{givenName}} {{familyName}}, you join {{department}}.'), {
      givenName: 'Ada',
      familyName: 'Lovelace',
      department: 'Engineering',
    });
    expect(rendered).toEqual(filled('Welcome, Ada', 'Hello Ada Lovelace, you join Engineering.'));
  });

  it('allows whitespace inside the braces', () => {
    expect(renderTemplate(template('{{ givenName }}', '{{\tgivenName}}|{{givenName  }}|{{\n givenName \n}}'), { givenName: 'Ada' })).toEqual(filled('Ada', 'Ada|Ada|Ada'));
  });

  it('fills a placeholder used more than once each time', () => {
    expect(renderTemplate(template('{{a}}{{a}}', '{{a}}, {{a}} and {{a}}'), { a: 'x' })).toEqual(filled('xx', 'x, x and x'));
  });

  it('never renders a missing value silently: it names every placeholder that had none', () => {
    const rendered = renderTemplate(template('Hi {{givenName}}', 'Manager: {{managerDisplayName}}, {{givenName}}.'), { givenName: undefined });
    expect(rendered.missing.sort()).toEqual(['givenName', 'managerDisplayName']);
  });

  it('counts an empty string as missing', () => {
    expect(renderTemplate(template('[{{department}}]', 'x'), { department: '' }).missing).toEqual(['department']);
  });

  it('shows a section only when its value is there, and an inverted one only when it is not', () => {
    const t = template('s', 'A{{#managerDisplayName}}, manager {{managerDisplayName}}{{/managerDisplayName}}{{^managerDisplayName}}, no manager yet{{/managerDisplayName}}.');
    expect(renderTemplate(t, { managerDisplayName: 'Grace' })).toEqual(filled('s', 'A, manager Grace.'));
    expect(renderTemplate(t, {})).toEqual(filled('s', 'A, no manager yet.'));
    expect(renderTemplate(t, { managerDisplayName: '' })).toEqual(filled('s', 'A, no manager yet.'));
  });

  it('reports a missing value inside a section that shows, but not inside one that is hidden', () => {
    const t = template('s', '{{#department}}{{department}} / {{jobTitle}}{{/department}}');
    expect(renderTemplate(t, { department: 'Sales' }).missing).toEqual(['jobTitle']);
    expect(renderTemplate(t, { jobTitle: 'Rep' }).missing).toEqual([]);
  });

  it('nests sections', () => {
    const t = template('s', '{{#a}}[{{#b}}{{a}}{{b}}{{/b}}]{{/a}}');
    expect(renderTemplate(t, { a: '1', b: '2' }).body).toBe('[12]');
    expect(renderTemplate(t, { a: '1' }).body).toBe('[]');
  });

  it('collapses line breaks from values into one line in the subject, and keeps them in the body', () => {
    const values = { displayName: 'Ada\r\nLovelace', department: 'Research\n\nand\rDevelopment' };
    expect(renderTemplate(template('{{displayName}} joins {{department}}', '{{displayName}}\n{{department}}'), values)).toEqual(
      filled('Ada Lovelace joins Research and Development', 'Ada\r\nLovelace\nResearch\n\nand\rDevelopment'),
    );
  });

  it('collapses line breaks written in the subject itself and trims it', () => {
    expect(renderTemplate(template('\nHello\r\n{{givenName}}\n', 'b'), { givenName: 'Ada' }).subject).toBe('Hello Ada');
  });

  it('inserts values literally, without replacement patterns or recursive placeholders', () => {
    const values = { givenName: '$& $1 $$', familyName: '{{givenName}}' };
    expect(renderTemplate(template('{{givenName}}', '{{givenName}} {{familyName}}'), values)).toEqual(filled('$& $1 $$', '$& $1 $$ {{givenName}}'));
  });

  it('leaves single braces alone', () => {
    expect(renderTemplate(template('{single} braces', 'a {b} c'), {})).toEqual(filled('{single} braces', 'a {b} c'));
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
    expect(rendered.missing).toEqual([]);
  });

  it('renders the welcome mail of someone without a manager without an empty name', () => {
    const rendered = renderTemplate(defaultTemplates['send-welcome-email']!, { organizationName: 'Example Ltd', givenName: 'Ada', username: 'ada', workEmail: 'ada@example.com' });
    expect(rendered.missing).toEqual([]);
    expect(rendered.body).not.toContain('manager');
    expect(rendered.body).not.toMatch(/ ,|, ,/);
  });

  it('renders the pre-hire reminder without a department or title, and says when the username is still missing', () => {
    const values = { managerGivenName: 'Grace', displayName: 'Ada Lovelace', hireDate: '1 December 2026' };
    const rendered = renderTemplate(defaultTemplates['send-onboarding-reminder']!, values);
    expect(rendered.body).toContain('Ada Lovelace joins on 1 December 2026.');
    expect(rendered.missing).toEqual(['username']);
  });

  it('needs only the person, the manager, the dates and the organisation for each default', () => {
    const always = { displayName: 'D', givenName: 'G', familyName: 'F', username: 'u', workEmail: 'w@x', hireDate: 'h', managerGivenName: 'M', organizationName: 'O', temporaryAccessPass: 'P', temporaryAccessPassExpiresAt: 'T', leaveDate: 'L' };
    for (const [type, t] of entries) expect([type, renderTemplate(t, always).missing]).toEqual([type, []]);
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
