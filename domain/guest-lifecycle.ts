import type { Employment, LifecyclePolicy } from './lifecycle';

// A guest's life follows their access, not HR: they arrive with their first approved
// assignment, are blocked the moment their last one ends, and are deleted `deleteAfter` later
// unless a new assignment is approved meanwhile. Pure: the guest's identity workflow asks it
// after every access plan; the blocking instant then drives the same state machine as a leave.

/** Guest ids: `g-` and 16 hex digits. HR employee ids of this shape are refused, so the two never meet. */
export const guestIdPattern = /^g-[0-9a-f]{16}$/;
export const isGuestId = (id: string): boolean => guestIdPattern.test(id);

/** What the guest's workflow remembers of their life, carried across continue-as-new. */
export interface GuestStanding {
  /** They have held an assignment at some point: only then can losing the last one block them. */
  admitted: boolean;
  /** When their last assignment ended; deletion follows `deleteAfter` later. */
  blockedAt?: number;
}

export type GuestEvent = 'admitted' | 'blocked' | 'unblocked' | 'readmitted';

export interface GuestChange {
  standing: GuestStanding;
  event: GuestEvent;
  /** When the guest is deleted, for a block. */
  deleteAt?: number;
}

/**
 * What the guest's live assignments mean now: the first one admits them; none left blocks them
 * at once; one again while blocked unblocks them (cancelling the deletion), or — after the
 * deletion — admits them afresh. Undefined when nothing changes.
 */
export function planGuest(standing: GuestStanding, liveAssignments: number, now: number, deleteAfterMs: number): GuestChange | undefined {
  if (liveAssignments > 0) {
    if (!standing.admitted) return { standing: { admitted: true }, event: 'admitted' };
    if (standing.blockedAt === undefined) return undefined;
    const deleted = now >= standing.blockedAt + deleteAfterMs;
    return { standing: { admitted: true }, event: deleted ? 'readmitted' : 'unblocked' };
  }
  if (!standing.admitted || standing.blockedAt !== undefined) return undefined;
  return { standing: { admitted: true, blockedAt: now }, event: 'blocked', deleteAt: now + deleteAfterMs };
}

/**
 * The guest's life as the identity state machine reads an employment: from their first record,
 * ending (a leave) when they are blocked; the leaver retention is the deletion period.
 */
export function guestEmployment(hireAt: number, standing: GuestStanding): Employment {
  return standing.blockedAt === undefined ? { hireAt } : { hireAt: Math.min(hireAt, standing.blockedAt), leaveAt: standing.blockedAt };
}

export function guestPolicy(deleteAfterMs: number): LifecyclePolicy {
  return { prehireLeadMs: 0, leaverRetentionMs: deleteAfterMs };
}
