import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { BreakerState } from '../../domain/breaker';

/**
 * Each provisioning target's circuit breaker and health: closed (in use), open (unreachable,
 * probed with backoff) or quarantined (refused Tenure; tried again rarely), with the current
 * failure streak and when it last worked.
 */
export const targetStatus = pgTable(
  'target_status',
  {
    name: text().primaryKey(),
    state: text().$type<BreakerState>().notNull().default('closed'),
    stateSince: timestamp({ withTimezone: true, mode: 'date' }),
    stateReason: text(),
    /** When an open or quarantined target is tried next. */
    nextProbeAt: timestamp({ withTimezone: true, mode: 'date' }),
    /** Probes that failed since the breaker opened; they space the next ones out. */
    failedProbes: integer().notNull().default(0),
    /** The first failure of the current streak (no success since); null while it works. */
    failingSince: timestamp({ withTimezone: true, mode: 'date' }),
    streakFailures: integer().notNull().default(0),
    lastError: text(),
    lastSuccessAt: timestamp({ withTimezone: true, mode: 'date' }),
    lastFailureAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [check('target_status_state_check', sql`${t.state} in ('closed', 'open', 'quarantined')`)],
);

/** People whose changes wait for a target whose breaker is not closed; brought up to date when it closes. */
export const targetPending = pgTable(
  'target_pending',
  {
    employeeId: text().notNull(),
    target: text().notNull(),
    since: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    reason: text(),
  },
  (t) => [primaryKey({ columns: [t.employeeId, t.target] })],
);
