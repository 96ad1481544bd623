import type { MailTemplate, TaskType } from './lifecycle-workflows';
import { parseTemplateText, renderTemplateText } from './template-text';

// Built-in mail for each task, and the renderer that fills {{placeholders}}. A definition may
// replace any template; placeholders were checked when it was saved.

// Optional values sit in sections, so a default never renders an empty placeholder.
export const defaultTemplates: Partial<Record<TaskType, MailTemplate>> = {
  'send-welcome-email': {
    subject: 'Welcome to {{organizationName}}, {{givenName}}',
    body: 'Hello {{givenName}},\n\nwelcome to {{organizationName}}! Your username is {{username}} and your work email is {{workEmail}}.\n{{#managerDisplayName}}Your manager, {{managerDisplayName}}, will help you get started.\n{{/managerDisplayName}}\nSee you soon.',
  },
  'send-onboarding-reminder': {
    subject: '{{displayName}} starts on {{hireDate}}',
    body: 'Hello {{managerGivenName}},\n\n{{displayName}} joins{{#department}} {{department}}{{/department}}{{#jobTitle}} as {{jobTitle}}{{/jobTitle}} on {{hireDate}}. Their username will be {{username}}.\nPlease prepare their first days.',
  },
  'notify-manager-of-move': {
    subject: '{{displayName}} moved{{#department}} to {{department}}{{/department}}',
    body: 'Hello {{managerGivenName}},\n\n{{displayName}} is now{{#jobTitle}} {{jobTitle}}{{/jobTitle}}{{#department}} in {{department}}{{/department}}{{#previousDepartment}} (before: {{#previousJobTitle}}{{previousJobTitle}} in {{/previousJobTitle}}{{previousDepartment}}){{/previousDepartment}}.',
  },
  'email-manager-before-last-day': {
    subject: "{{displayName}}'s last day is {{leaveDate}}",
    body: "Hello {{managerGivenName}},\n\n{{displayName}}'s last day is {{leaveDate}}. Please arrange the handover of their work and equipment.",
  },
  'email-manager-on-last-day': {
    subject: "Today is {{displayName}}'s last day",
    body: "Hello {{managerGivenName}},\n\ntoday is {{displayName}}'s last day. Their access ends this evening.",
  },
  'email-manager-after-last-day': {
    subject: '{{displayName}} has left',
    body: "Hello {{managerGivenName}},\n\n{{displayName}} left{{#leaveDate}} on {{leaveDate}}{{/leaveDate}}. Their accounts are disabled and will be deleted after the retention period.",
  },
  'generate-temporary-access-pass': {
    subject: 'Temporary access pass for {{displayName}}',
    body: 'Hello {{managerGivenName}},\n\nplease give {{displayName}} this temporary access pass for their first sign-in:\n\n    {{temporaryAccessPass}}\n\nIt is valid until {{temporaryAccessPassExpiresAt}}.',
  },
};

export interface RenderedMail {
  subject: string;
  body: string;
  /** Placeholders that had no value (outside sections that hide them): such a mail is not sent. */
  missing: string[];
}

/** Fills a template; every placeholder that would render empty is reported in `missing`. */
export function renderTemplate(template: MailTemplate, values: Record<string, string | undefined>): RenderedMail {
  const subject = renderTemplateText(parseTemplateText(template.subject), values);
  const body = renderTemplateText(parseTemplateText(template.body), values);
  // A subject is one line, whatever a value contained.
  return { subject: subject.text.replace(/[\r\n]+/g, ' ').trim(), body: body.text, missing: [...new Set([...subject.missing, ...body.missing])] };
}

/** A date (or instant) as people read it: long date in their locale and time zone. */
export function formatDate(epochMs: number | undefined, locale: string, timeZone: string, withTime = false): string | undefined {
  if (epochMs === undefined) return undefined;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', ...(withTime ? { timeStyle: 'short' } : {}), timeZone }).format(epochMs);
}
