import { createServer, type Server } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';

// A real OpenID Connect provider in-process (oidc-provider) for `npm run dev` and the tests: its
// own login form takes any password for the demo people it knows, by login name. Never for
// production — it signs with its development keys.

export interface DemoPerson {
  /** What to type in the provider's login form. */
  login: string;
  name: string;
  email: string;
  employeeId: string;
  groups?: string[];
}

export interface RunningOidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(options: { port: number; host?: string; client: { id: string; secret: string; redirectUri: string }; people: DemoPerson[] }): Promise<RunningOidcProvider> {
  const host = options.host ?? '127.0.0.1';
  const issuer = `http://${host}:${options.port}`;

  const configuration: Configuration = {
    clients: [{ client_id: options.client.id, client_secret: options.client.secret, redirect_uris: [options.client.redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'employee_id', 'groups'] },
    cookies: { keys: ['tenure-dev-oidc-cookies-only'] },
    pkce: { required: () => true },
    async findAccount(_ctx, id) {
      // Looked up at each sign-in, so a caller may add people after the start.
      const person = options.people.find((p) => p.login === id);
      return {
        accountId: id,
        async claims() {
          // Someone the provider knows but Tenure does not: an address nobody has.
          if (!person) return { sub: id, email: `${id}@unknown.invalid`, email_verified: true, name: id };
          return { sub: id, email: person.email, email_verified: true, name: person.name, employee_id: person.employeeId, groups: person.groups ?? [] };
        },
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  // Development keys and interactions are expected here; their warnings are noise.
  provider.on('server_error', (_ctx, error) => console.error('[oidc] server error', error));
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  return {
    issuer,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
