import type { Context } from 'hono';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { hasScope } from '../api/api-keys';
import type { PortalCaller } from './context';

// The one layout of Tenure's pages: a header with the places a person may go, a main landmark
// with the page's heading, and the stylesheet shipped in portal/assets. No script anywhere.

type Place = 'request' | 'access' | 'approvals' | 'reviews' | 'people' | 'guest-request' | 'guest-requests';

/** Where a person may go: a guest has their own two pages, an employee the rest. */
function placesOf(session: PortalCaller): [Place, string, string][] {
  if (session.kind === 'guest') {
    return [
      ['guest-request', '/portal/guest/request', 'Request access'],
      ['guest-requests', '/portal/guest/requests', 'My requests'],
    ];
  }
  const places: [Place, string, string][] = [
    ['request', '/portal/request', 'Request access'],
    ['access', '/portal/access', 'My access'],
    ['approvals', '/portal/approvals', 'Approvals'],
    ['reviews', '/portal/reviews', 'Reviews'],
  ];
  if (hasScope(session, 'identities:read')) places.push(['people', '/portal/people', 'People']);
  return places;
}

function Navigation({ session, active }: { session: PortalCaller; active?: Place }) {
  const places = placesOf(session);
  return (
    <>
      <nav aria-label="Main">
        <ul>
          {places.map(([place, href, label]) => (
            <li>
              <a href={href} aria-current={place === active ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <form method="post" action="/portal/sign-out" class="sign-out">
        <input type="hidden" name="csrf" value={session.csrf} />
        <button type="submit" class="link">
          Sign out
        </button>
      </form>
    </>
  );
}

export function Layout(props: { title: string; session?: PortalCaller; active?: Place; notice?: string; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Tenure`}</title>
        <link rel="stylesheet" href="/assets/tenure.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="bar">
          <a class="brand" href="/portal">
            Tenure
          </a>
          {props.session ? <Navigation session={props.session} active={props.active} /> : null}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.notice ? (
            <p class="notice" role="status">
              {props.notice}
            </p>
          ) : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

type Status = 200 | 400 | 401 | 403 | 404 | 409 | 410 | 413 | 429 | 500 | 503;

/** Sends a page with its doctype. */
export function render(c: Context, page: Child, status: Status = 200) {
  return c.html(html`<!doctype html>${page}`, status);
}

/** A page that says what went wrong and what to do; never internals. */
export function errorPage(c: Context, status: Status, title: string, message: string, options: { session?: PortalCaller; fields?: { path: string; message: string }[] } = {}) {
  return render(
    c,
    <Layout title={title} session={options.session}>
      <p>{message}</p>
      {options.fields?.length ? (
        <ul>
          {options.fields.map((f) => (
            <li>
              <code>{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
      <p>
        <a href="/portal">Back to the start</a>
      </p>
    </Layout>,
    status,
  );
}

/** An instant as people read it, in their time zone when known. */
export function when(date: Date | string | null | undefined, timeZone = 'UTC'): string {
  if (!date) return '—';
  const value = typeof date === 'string' ? new Date(date) : date;
  try {
    // dateStyle cannot be combined with timeZoneName: the fields one by one.
    return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' }).format(value);
  } catch {
    return value.toISOString();
  }
}

/** A calendar day (YYYY-MM-DD) in a time zone, for date inputs. */
export function day(date: Date, timeZone = 'UTC'): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(date);
  } catch {
    return date.toISOString().slice(0, 10);
  }
}

/** A lookup of display names by employee id, falling back to the id. */
export const nameOf = (people: Map<string, { displayName: string }>) => (employeeId: string) => people.get(employeeId)?.displayName ?? employeeId;

/** An ISO 8601 duration as people say it ("P90D" → "90 days"); anything else as given. */
export function spoken(duration: string): string {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!match) return duration;
  const units = ['week', 'day', 'hour', 'minute', 'second'];
  const parts = match.slice(1).flatMap((n, i) => (n && Number(n) > 0 ? [`${Number(n)} ${units[i]}${Number(n) === 1 ? '' : 's'}`] : []));
  return parts.length ? parts.join(' ') : duration;
}

/** A group as people know it: the name of a directory group (its first RDN value), or the group as given. */
export function groupName(group: string): string {
  return /^[a-z][a-z0-9-]*=((?:\\.|[^,\\])+),/i.exec(group)?.[1]?.replace(/\\(.)/g, '$1') ?? group;
}

export function Grants({ resources }: { resources: readonly { target: string; group: string }[] }) {
  return (
    <ul class="plain">
      {resources.map((r) => (
        <li>
          {groupName(r.group)} <span class="muted">in {r.target}</span>
        </li>
      ))}
    </ul>
  );
}
