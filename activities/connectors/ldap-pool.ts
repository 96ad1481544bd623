import { Client } from 'ldapts';

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
      throw error;
    }
    try {
      return await work(client);
    } catch (error) {
      // A result code is the directory's answer; anything else may be a broken connection.
      if (resultCode(error) === undefined && this.pool[slot] === pooled) {
        this.pool[slot] = undefined;
        void client.unbind().catch(() => {});
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const clients = this.pool.splice(0, this.pool.length, ...new Array<undefined>(this.pool.length).fill(undefined));
    await Promise.all(clients.map(async (c) => (await c?.catch(() => undefined))?.unbind().catch(() => {})));
  }
}
