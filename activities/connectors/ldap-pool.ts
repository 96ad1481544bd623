import { Client } from 'ldapts';
import { TargetRefusedError } from './target-connector';

// Bound LDAP connections shared round-robin; LDAP multiplexes concurrent operations on each.

export interface LdapPoolSettings {
  url: string;
  bindDn: string;
  bindPassword: string;
  /** Accept a self-signed certificate on ldaps:// (test and lab directories). */
  tlsRejectUnauthorized?: boolean;
}

/** The LDAP result code of a directory's answer; undefined for socket errors (whose code is a string). */
export function resultCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Result codes that refuse Tenure itself rather than one entry: credentials, rights, the schema. */
const refusalOfTenure: Record<number, string> = {
  8: 'the directory wants a stronger authentication (use ldaps://)',
  13: 'the directory wants a confidential connection (use ldaps://)',
  48: 'the bind method is not allowed',
  49: 'the bind DN or password is wrong',
  50: 'the bind DN lacks the rights for this',
  17: 'an attribute the mappings write is not in the directory schema',
  65: 'an entry breaks the directory schema (object classes)',
};

/** A directory answer that refuses Tenure becomes a target-wide refusal; everything else passes through. */
function asTargetRefusal(error: unknown): unknown {
  const code = resultCode(error);
  const why = code === undefined ? undefined : refusalOfTenure[code];
  return why ? new TargetRefusedError(`${why} (LDAP ${code}: ${(error as Error).message})`, 'refused-by-directory', 'target') : error;
}

export class LdapPool {
  private readonly pool: (Promise<Client> | undefined)[];
  private turn = 0;

  constructor(
    private readonly settings: LdapPoolSettings,
    size = 4,
  ) {
    this.pool = new Array<Promise<Client> | undefined>(size).fill(undefined);
  }

  private async connect(): Promise<Client> {
    // autoRebind: a connection the server dropped comes back bound on the next operation.
    const client = new Client({
      url: this.settings.url,
      timeout: 15_000,
      connectTimeout: 5_000,
      strictDN: false,
      autoRebind: true,
      // ldapts speaks TLS whenever tlsOptions are given, so only ldaps:// gets them.
      ...(this.settings.url.startsWith('ldaps:') ? { tlsOptions: { rejectUnauthorized: this.settings.tlsRejectUnauthorized ?? true } } : {}),
    });
    await client.bind(this.settings.bindDn, this.settings.bindPassword);
    return client;
  }

  async session<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const slot = this.turn++ % this.pool.length;
    const pooled = (this.pool[slot] ??= this.connect());
    let client: Client;
    try {
      client = await pooled;
    } catch (error) {
      this.pool[slot] = undefined;
      throw asTargetRefusal(error);
    }
    try {
      return await work(client);
    } catch (error) {
      // A result code is the directory's answer; anything else may be a broken connection.
      if (resultCode(error) === undefined && this.pool[slot] === pooled) {
        this.pool[slot] = undefined;
        void client.unbind().catch(() => {});
      }
      throw asTargetRefusal(error);
    }
  }

  async close(): Promise<void> {
    const clients = this.pool.splice(0, this.pool.length, ...new Array<undefined>(this.pool.length).fill(undefined));
    await Promise.all(clients.map(async (c) => (await c?.catch(() => undefined))?.unbind().catch(() => {})));
  }
}
