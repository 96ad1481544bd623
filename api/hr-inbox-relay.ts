import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { findUndelivered } from '../db/queries/hr-inbox';
import { deliverRows, type Delivery } from './hr-delivery';

// Delivers inbox rows the API could not hand to Temporal (it was down, or the process died
// between storing and signalling). One relay works at a time across all API processes.

const relayLockKey = 7_286_315_002;

export interface RelayOptions {
  intervalMs: number;
  /** Rows younger than this are still being delivered by the request that stored them. */
  graceMs: number;
  batchSize: number;
  now: () => Date;
  onError?: (error: unknown) => void;
}

/** One pass: answers how many rows were delivered, or undefined if another relay holds the lock. */
export async function relayOnce(db: Db, delivery: Delivery, options: Omit<RelayOptions, 'intervalMs'>): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${relayLockKey}) as locked`);
    if (!lock?.locked) return undefined;
    const rows = await findUndelivered(tx, new Date(options.now().getTime() - options.graceMs), options.batchSize);
    return rows.length === 0 ? 0 : deliverRows(db, delivery, rows);
  });
}

export function startRelay(db: Db, delivery: Delivery, options: RelayOptions): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        // Keep going while full batches come back: a backlog drains without waiting for the timer.
        while (!stopped && (await relayOnce(db, delivery, options)) === options.batchSize);
      } catch (error) {
        options.onError?.(error);
      }
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    })();
  };
  timer = setTimeout(tick, options.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
