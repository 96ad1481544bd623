import type { MailTemplate, TaskType } from './lifecycle-workflows';

// Built-in mail for each task, and the renderer that fills {{placeholders}}. A definition may
// replace any template; placeholders were checked when it was saved.

export const defaultTemplates: Partial<Record<TaskType, MailTemplate>> = {
  'send-welcome-email': {
    subject: 'Welcome to {{organizationName}}, {{givenName}}',
    body: 'Hello {{givenName}},\n\nwelcome to {{organizationName}}! Your username is {{username}} and your work email is {{workEmail}}.\nYour manager, {{managerDisplayName}}, will help you get started.\n\nSee you soon.',
  },
  'send-onboarding-reminder': {
    subject: '{{displayName}} starts on {{hireDate}}',
    body: 'Hello {{managerGivenName}},\n\n{{displayName}} joins {{department}} as {{jobTitle}} on {{hireDate}}. Their username will be {{username}}.\nPlease prepare their first days.',
  },
  'notify-manager-of-move': {
    subject: '{{displayName}} moved to {{department}}',
    body: 'Hello {{managerGivenName}},\n\n{{displayName}} is now {{jobTitle}} in {{department}} (before: {{previousJobTitle}} in {{previousDepartment}}).',
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
    body: "Hello {{managerGivenName}},\n\n{{displayName}} left on {{leaveDate}}. Their accounts are disabled and will be deleted after the retention period.",
  },
  'generate-temporary-access-pass': {
    subject: 'Temporary access pass for {{displayName}}',
    body: 'Hello {{managerGivenName}},\n\nplease give {{displayName}} this temporary access pass for their first sign-in:\n\n    {{temporaryAccessPass}}\n\nIt is valid until {{temporaryAccessPassExpiresAt}}.',
  },
};

const placeholder = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Fills a template; a value that is missing renders as an empty string. */
export function renderTemplate(template: MailTemplate, values: Record<string, string | undefined>): { subject: string; body: string } {
  const fill = (text: string) => text.replace(placeholder, (_, name: string) => values[name] ?? '');
  // A subject is one line, whatever a value contained.
  return { subject: fill(template.subject).replace(/[\r\n]+/g, ' ').trim(), body: fill(template.body) };
}

/** A date (or instant) as people read it: long date in their locale and time zone. */
export function formatDate(epochMs: number | undefined, locale: string, timeZone: string, withTime = false): string | undefined {
  if (epochMs === undefined) return undefined;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', ...(withTime ? { timeStyle: 'short' } : {}), timeZone }).format(epochMs);
}
