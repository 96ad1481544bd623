import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { LifecyclePolicy } from '../../domain/lifecycle';
import type { HrRecord } from '../../domain/hr-record';

/** Every accepted HR message, stored before Temporal hears of it; the relay delivers what is left. */
export const hrInbox = pgTable(
  'hr_inbox',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    employeeId: text().notNull(),
    kind: text().$type<'upsert' | 'withdraw'>().notNull(),
    asOf: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    payload: jsonb().$type<unknown>(),
    record: jsonb().$type<HrRecord>(),
    policy: jsonb().$type<LifecyclePolicy>().notNull(),
    actor: text().notNull(),
    receivedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deliveredAt: timestamp({ withTimezone: true, mode: 'date' }),
    deliveryAttempts: integer().notNull().default(0),
    lastDeliveryError: text(),
    outcome: text().$type<'applied' | 'stale' | 'duplicate'>(),
    processedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index().on(t.employeeId, t.id),
    index('hr_inbox_undelivered').on(t.id).where(sql`${t.deliveredAt} is null`),
    check('hr_inbox_kind_check', sql`${t.kind} in ('upsert', 'withdraw')`),
    check('hr_inbox_record_check', sql`(${t.kind} = 'upsert') = (${t.record} is not null)`),
  ],
);
