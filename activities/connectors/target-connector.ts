import type { AttributeValue } from '../../domain/targets';

// The one interface every provisioning target implements (OpenLDAP, Active Directory, SCIM,
// SQL). Accounts are found by the immutable anchor (the employee id); every call is safe to repeat.

export interface RemoteAccount {
  /** The account's id in the target: a DN, a SCIM id, a key column value. */
  id: string;
  attributes: Record<string, AttributeValue | undefined>;
  enabled: boolean;
}

export interface TargetConnector {
  find(anchor: string): Promise<RemoteAccount | undefined>;
  /** Creates the account; `container` places it (an OU) where the target supports that. */
  create(anchor: string, attributes: Record<string, AttributeValue | undefined>, options: { enabled: boolean; container?: string }): Promise<RemoteAccount>;
  /** Changes only the given attributes (undefined removes one); may move the account to `container`. */
  update(account: RemoteAccount, changes: Record<string, AttributeValue | undefined>, options: { container?: string }): Promise<RemoteAccount>;
  setEnabled(account: RemoteAccount, enabled: boolean): Promise<void>;
  /** Deletes the account, or marks it gone where the target keeps rows; an account already gone is fine. */
  remove(account: RemoteAccount): Promise<void>;
  /** Takes the account out of every group it is in; answers the groups. */
  removeMemberships(account: RemoteAccount): Promise<string[]>;
  /** A group by name (a cn or DN in a directory, a displayName in SCIM): its key for syncGroups and its name; undefined when there is none. */
  findGroup(name: string): Promise<{ key: string; name: string } | undefined>;
  /** Makes the account a member of exactly the `wanted` ones among the `managed` groups; other groups are untouched. */
  syncGroups(account: RemoteAccount, wanted: string[], managed: string[]): Promise<GroupChanges>;
  /** No account other than the anchor's holds this value in this attribute. */
  isUnique(attribute: string, value: string, anchor: string): Promise<boolean>;
  /** Throws when the target cannot be reached. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export interface GroupChanges {
  added: string[];
  removed: string[];
}

/**
 * A fact about the target that retrying cannot change (a conflict, a missing container, a
 * refusal). Scope `target` means the target refuses Tenure itself (credentials, permissions,
 * schema): every call would fail alike, so its breaker quarantines it.
 */
export class TargetRefusedError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly scope: 'account' | 'target' = 'account',
  ) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/** The target asked us to wait (HTTP 429 with Retry-After). */
export class TargetThrottledError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'TargetThrottledError';
  }
}

export const secretAttributes = new Set(['unicodepwd', 'userpassword', 'password']);

/** Attribute maps as they may be shown or stored: secret values replaced. */
export function redact(values: Record<string, AttributeValue | undefined>): Record<string, AttributeValue | undefined> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secretAttributes.has(k.toLowerCase()) && v !== undefined ? '[redacted]' : v]));
}
