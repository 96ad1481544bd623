import type { MailTemplate } from './lifecycle-workflows';

// The mail entitlement management sends: to approvers (with their single-use link), to the
// person when a request is decided, before an assignment ends, and to reviewers of access reviews.

export const accessMailTemplates = {
  approvalRequest: {
    subject: 'Approve access to {{packageName}} for {{displayName}}?',
    body: 'Hello {{approverGivenName}},\n\n{{requesterName}} asks for {{packageName}}{{#forSomeoneElse}} for {{displayName}}{{/forSomeoneElse}}{{#endsAt}} until {{endsAt}}{{/endsAt}}.\n{{#justification}}Their reason: {{justification}}\n{{/justification}}\nStage {{stage}} of {{stageCount}} waits for your decision until {{deadline}}.\n\nApprove or deny: {{link}}\n(The link works once, for you only, until the stage ends.)',
  },
  requestDecided: {
    subject: 'Your request for {{packageName}} was {{outcome}}',
    body: 'Hello {{givenName}},\n\nyour request for {{packageName}} was {{outcome}}{{#reason}}: {{reason}}{{/reason}}.{{#endsAt}}\nYour access lasts until {{endsAt}}.{{/endsAt}}',
  },
  expiryReminder: {
    subject: 'Access to {{packageName}} ends on {{endsAt}}',
    body: 'Hello {{recipientGivenName}},\n\n{{#forManager}}{{displayName}}’s{{/forManager}}{{^forManager}}Your{{/forManager}} access to {{packageName}} ends on {{endsAt}}.\nTo keep it, ask for an extension before then; otherwise it is removed at that moment.',
  },
  reviewOpened: {
    subject: 'Access review: {{reviewName}}',
    body: 'Hello {{givenName}},\n\n{{reviewName}} asks you to confirm or remove {{count}} access item(s){{#stageCount}} (stage {{stage}} of {{stageCount}}){{/stageCount}} by {{endsAt}}. Each item shows a recommendation and its reason.\n\nReview them: {{link}}',
  },
  reviewReminder: {
    subject: 'Reminder: {{count}} access review item(s) wait for you',
    body: 'Hello {{givenName}},\n\n{{count}} item(s) of {{reviewName}} still wait for your decision. The review ends {{endsAt}}; what nobody decides by then {{noResponse}}.\n\nReview them: {{link}}',
  },
} satisfies Record<string, MailTemplate>;

export type AccessMailKind = keyof typeof accessMailTemplates;
