import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues, type FieldError } from './field-errors';

// Connected organisations: the partners whose people may sign in as guests and ask for access —
// a name, the email domains that identify their people, the internal sponsors who vouch for
// them. `configured` ones are set up by an administrator (API or YAML); `proposed` ones appear
// when someone from an unknown domain asks for a package open to anyone, as in Entra.

export const organisationStates = ['configured', 'proposed'] as const;
export type OrganisationState = (typeof organisationStates)[number];

export const organisationIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'lowercase letters, digits and "-", e.g. contoso' })
  .max(64);

/** A lowercase DNS name with at least two labels; mail domains are compared in lowercase. */
export const emailDomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { error: 'expected a mail domain like contoso.com' });

const sponsorId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'an employee id' }).max(64);

export const connectedOrganisationSchema = z.strictObject({
  id: organisationIdSchema,
  name: z.string().trim().min(1).max(200),
  domains: z.array(emailDomainSchema).min(1).max(50),
  /** Employee ids of the internal people who vouch for this organisation's guests (approver kind `sponsors`). */
  sponsors: z.array(sponsorId).max(100).default([]),
  state: z.enum(organisationStates).default('configured'),
});
export type ConnectedOrganisation = z.output<typeof connectedOrganisationSchema>;

/** Checks one organisation as an administrator wrote it; every problem names its field. */
export function validateOrganisation(input: unknown, prefix = ''): { ok: true; organisation: ConnectedOrganisation } | { ok: false; errors: FieldError[] } {
  const parsed = connectedOrganisationSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues, prefix) };
  const organisation = parsed.data;
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  organisation.domains.forEach((domain, i) => {
    if (seen.has(domain)) errors.push({ path: [prefix, `domains.${i}`].filter(Boolean).join('.'), message: `"${domain}" is listed twice` });
    seen.add(domain);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, organisation: { ...organisation, sponsors: [...new Set(organisation.sponsors)] } };
}

/**
 * A file of connected organisations (`organisations: [...]`): every problem is reported with its
 * path (`organisations.1.domains.0: …`), and a domain may belong to one organisation only.
 */
export function checkOrganisationFile(text: string): { ok: true; organisations: ConnectedOrganisation[] } | { ok: false; problems: string[] } {
  let content: unknown;
  try {
    content = parseYaml(text);
  } catch (error) {
    return { ok: false, problems: [`not valid YAML: ${(error as Error).message.split('\n')[0]}`] };
  }
  const file = z.strictObject({ organisations: z.array(z.unknown()).max(10_000) }).safeParse(content ?? {});
  if (!file.success) return { ok: false, problems: formatIssues(file.error.issues, '', '(file)').map((p) => `${p.path}: ${p.message}`) };
  const problems: string[] = [];
  const organisations: ConnectedOrganisation[] = [];
  const ids = new Map<string, number>();
  const domains = new Map<string, string>();
  file.data.organisations.forEach((entry, i) => {
    const checked = validateOrganisation(entry, `organisations.${i}`);
    if (!checked.ok) {
      problems.push(...checked.errors.map((p) => `${p.path}: ${p.message}`));
      return;
    }
    const { organisation } = checked;
    if (ids.has(organisation.id)) problems.push(`organisations.${i}.id: "${organisation.id}" is also organisations.${ids.get(organisation.id)}`);
    ids.set(organisation.id, i);
    organisation.domains.forEach((domain, d) => {
      const owner = domains.get(domain);
      if (owner && owner !== organisation.id) problems.push(`organisations.${i}.domains.${d}: "${domain}" already belongs to ${owner}`);
      domains.set(domain, organisation.id);
    });
    organisations.push(organisation);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, organisations };
}

/** The domain of a mail address, lowercase; the address was validated before. */
export function mailDomainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** Who outside the organisation a request policy admits. */
export type GuestAdmission =
  | { type: 'none' }
  /** People of these connected organisations (whatever their state). */
  | { type: 'organisations'; organisations: string[] }
  /** People of every configured connected organisation. */
  | { type: 'configured' }
  /** Anyone with a mail address; an unknown domain proposes a new connected organisation. */
  | { type: 'anyone' };

/** Whether a policy admits a guest of this organisation (undefined: their domain is not known yet). */
export function admitsGuest(admission: GuestAdmission | undefined, organisation: Pick<ConnectedOrganisation, 'id' | 'state'> | undefined): boolean {
  if (!admission || admission.type === 'none') return false;
  if (admission.type === 'anyone') return true;
  if (!organisation) return false;
  if (admission.type === 'configured') return organisation.state === 'configured';
  return admission.organisations.includes(organisation.id);
}

/** A proposed organisation for an unknown domain: named after it, no sponsors until an administrator adds them. */
export function proposedOrganisation(domain: string): ConnectedOrganisation {
  const id = `proposed-${domain.replace(/[^a-z0-9]+/g, '-')}`.slice(0, 64).replace(/-+$/, '');
  return { id, name: domain, domains: [domain], sponsors: [], state: 'proposed' };
}
