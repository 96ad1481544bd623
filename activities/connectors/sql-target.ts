import mysql from 'mysql2/promise';
import postgres from 'postgres';
import type { AttributeValue } from '../../domain/targets';
import { TargetRefusedError, type GroupChanges, type RemoteAccount, type TargetConnector } from './target-connector';

// Rows in a table of another database (PostgreSQL or MariaDB/MySQL): one row per person, keyed
// by the anchor column. Identifiers come from validated configuration and are quoted; every
// value is a statement parameter.

export interface SqlTargetSettings {
  dialect: 'postgres' | 'mysql';
  url: string;
  table: string;
  keyColumn: string;
  enabledColumn?: string;
  /** Soft delete: rows are kept and this timestamp column marks them gone. */
  deletedColumn?: string;
  managedAttributes: string[];
}

type Row = Record<string, unknown>;

interface Dialect {
  query(text: string, params: unknown[]): Promise<Row[]>;
  quote(identifier: string): string;
  placeholder(index: number): string;
  isDuplicate(error: unknown): boolean;
  close(): Promise<void>;
}

/** Error codes that refuse Tenure itself (credentials, rights, a table or column that is not there). */
const refusals = new Set(['28P01', '28000', '42501', '42P01', '42703', '3D000', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR', 'ER_BAD_DB_ERROR']);

async function refusingTenure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && refusals.has(code)) throw new TargetRefusedError(`the database refused Tenure (${code}): ${(error as Error).message}`, 'refused-by-database', 'target');
    throw error;
  }
}

function postgresDialect(url: string): Dialect {
  const sql = postgres(url, { max: 4, onnotice: () => {}, connect_timeout: 10 });
  return {
    query: (text, params) => refusingTenure(async () => [...(await sql.unsafe(text, params as never[]))] as Row[]),
    quote: (id) => `"${id}"`,
    placeholder: (i) => `$${i}`,
    isDuplicate: (error) => (error as { code?: string }).code === '23505',
    close: () => sql.end({ timeout: 5 }),
  };
}

function mysqlDialect(url: string): Dialect {
  const pool = mysql.createPool({ uri: url, connectionLimit: 4 });
  return {
    query: (text, params) =>
      refusingTenure(async () => {
        const [rows] = await pool.execute(text, params as never[]);
        return Array.isArray(rows) ? (rows as Row[]) : [];
      }),
    quote: (id) => `\`${id}\``,
    placeholder: () => '?',
    isDuplicate: (error) => (error as { code?: string }).code === 'ER_DUP_ENTRY',
    close: () => pool.end(),
  };
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SqlTarget implements TargetConnector {
  private readonly db: Dialect;

  constructor(readonly settings: SqlTargetSettings) {
    for (const name of [settings.table, settings.keyColumn, settings.enabledColumn, settings.deletedColumn, ...settings.managedAttributes]) {
      // Configuration was validated; this guards the one place identifiers enter SQL text.
      if (name !== undefined && !identifier.test(name)) throw new TargetRefusedError(`"${name}" is not a plain identifier`, 'bad-identifier');
    }
    this.db = settings.dialect === 'postgres' ? postgresDialect(settings.url) : mysqlDialect(settings.url);
  }

  private get table(): string {
    return this.db.quote(this.settings.table);
  }

  private toAccount(row: Row): RemoteAccount {
    const attributes: Record<string, AttributeValue | undefined> = {};
    for (const column of this.settings.managedAttributes) {
      const value = row[column];
      attributes[column] = value === null || value === undefined ? undefined : value instanceof Date ? value.toISOString() : String(value);
    }
    const enabledValue = this.settings.enabledColumn ? row[this.settings.enabledColumn] : true;
    return { id: String(row[this.settings.keyColumn]), attributes, enabled: enabledValue === true || enabledValue === 1 || enabledValue === '1' };
  }

  private liveCondition(): string {
    return this.settings.deletedColumn ? ` and ${this.db.quote(this.settings.deletedColumn)} is null` : '';
  }

  async find(anchor: string): Promise<RemoteAccount | undefined> {
    const rows = await this.db.query(`select * from ${this.table} where ${this.db.quote(this.settings.keyColumn)} = ${this.db.placeholder(1)}${this.liveCondition()}`, [anchor]);
    return rows[0] ? this.toAccount(rows[0]) : undefined;
  }

  async create(anchor: string, attributes: Record<string, AttributeValue | undefined>, options: { enabled: boolean }): Promise<RemoteAccount> {
    const columns: string[] = [this.settings.keyColumn];
    const values: unknown[] = [anchor];
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      columns.push(name);
      values.push(Array.isArray(value) ? value.join(',') : value);
    }
    if (this.settings.enabledColumn) {
      columns.push(this.settings.enabledColumn);
      values.push(options.enabled);
    }
    const text = `insert into ${this.table} (${columns.map((c) => this.db.quote(c)).join(', ')}) values (${values.map((_, i) => this.db.placeholder(i + 1)).join(', ')})`;
    try {
      await this.db.query(text, values);
    } catch (error) {
      if (!this.db.isDuplicate(error)) throw error;
      // A row for this key exists: a soft-deleted one comes back to life, a live one was ours from an earlier attempt.
      if (this.settings.deletedColumn) {
        await this.db.query(
          `update ${this.table} set ${this.db.quote(this.settings.deletedColumn)} = null where ${this.db.quote(this.settings.keyColumn)} = ${this.db.placeholder(1)}`,
          [anchor],
        );
      }
      const existing = await this.find(anchor);
      if (!existing) throw new TargetRefusedError(`a row of ${this.settings.table} conflicts with ${anchor}: ${(error as Error).message}`, 'conflict');
      return existing;
    }
    return (await this.find(anchor))!;
  }

  async update(account: RemoteAccount, changes: Record<string, AttributeValue | undefined>): Promise<RemoteAccount> {
    const entries = Object.entries(changes);
    if (entries.length > 0) {
      const sets = entries.map(([name], i) => `${this.db.quote(name)} = ${this.db.placeholder(i + 1)}`);
      const params = entries.map(([, value]) => (value === undefined ? null : Array.isArray(value) ? value.join(',') : value));
      await this.db.query(
        `update ${this.table} set ${sets.join(', ')} where ${this.db.quote(this.settings.keyColumn)} = ${this.db.placeholder(entries.length + 1)}`,
        [...params, account.id],
      );
    }
    return (await this.find(account.id)) ?? account;
  }

  async setEnabled(account: RemoteAccount, enabled: boolean): Promise<void> {
    if (!this.settings.enabledColumn) return;
    await this.db.query(
      `update ${this.table} set ${this.db.quote(this.settings.enabledColumn)} = ${this.db.placeholder(1)} where ${this.db.quote(this.settings.keyColumn)} = ${this.db.placeholder(2)}`,
      [enabled, account.id],
    );
  }

  /** Soft-deletes where the table has a deleted column (the row stays, marked gone), else deletes. */
  async remove(account: RemoteAccount): Promise<void> {
    if (this.settings.deletedColumn) {
      await this.db.query(
        `update ${this.table} set ${this.db.quote(this.settings.deletedColumn)} = ${this.db.placeholder(1)} where ${this.db.quote(this.settings.keyColumn)} = ${this.db.placeholder(2)}${this.liveCondition()}`,
        [new Date(), account.id],
      );
      return;
    }
    await this.db.query(`delete from ${this.table} where ${this.db.quote(this.settings.keyColumn)} = ${this.db.placeholder(1)}`, [account.id]);
  }

  /** A table row has no groups. */
  async removeMemberships(): Promise<string[]> {
    return [];
  }

  async findGroup(): Promise<undefined> {
    return undefined;
  }

  async syncGroups(_account: RemoteAccount, _wanted: string[], managed: string[]): Promise<GroupChanges> {
    // The configuration refuses groups on SQL targets; this guards a caller that skipped it.
    if (managed.length > 0) throw new TargetRefusedError('a SQL target has no groups', 'no-groups');
    return { added: [], removed: [] };
  }

  async isUnique(attribute: string, value: string, anchor: string): Promise<boolean> {
    if (!identifier.test(attribute)) throw new TargetRefusedError(`"${attribute}" is not a plain identifier`, 'bad-identifier');
    const rows = await this.db.query(
      `select ${this.db.quote(this.settings.keyColumn)} as k from ${this.table} where ${this.db.quote(attribute)} = ${this.db.placeholder(1)}`,
      [value],
    );
    return rows.every((row) => String(row.k) === anchor);
  }

  async check(): Promise<void> {
    await this.db.query(`select 1 from ${this.table} where 1 = 0`, []);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
