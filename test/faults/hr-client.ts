import type { WorkerRecordInput } from '../../domain/worker-record';
import { nextAsOf } from '../helpers/builders';
import { ruleGroupDepartment } from './tenure-config';

// The HR side of a scenario: people with their current records, sent over HTTP the way an HR
// connector does (PUT the full record; on 503 or no answer, try again later), with every
// attempt's status and latency kept for the report.

export interface Attempt {
  employeeId: string;
  api: string;
  status: number | 'no answer';
  ms: number;
  at: number;
  retryAfter?: string;
  /** The stored inbox row a 202 names. */
  inboxId?: number;
  error?: string;
}

export interface Expected {
  department: string;
  jobTitle: string;
}

const givenNames = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Tim'];

/** 0 → "a", 25 → "z", 26 → "ba": distinct letters-only name parts, so usernames never need a number. */
function letters(n: number): string {
  let text = '';
  do {
    text = String.fromCharCode(97 + (n % 26)) + text;
    n = Math.floor(n / 26);
  } while (n > 0);
  return text;
}

/** The people of one scenario: ids `<prefix>-00001`…, their current records and what each should end as. */
export class Cohort {
  readonly records = new Map<string, WorkerRecordInput>();
  /** What each person's accounts must show: the last record HR had accepted. */
  readonly expected = new Map<string, Expected>();
  /** People whose department and title changed after their hire. */
  readonly movers = new Set<string>();
  private readonly acceptedAsOf = new Map<string, string>();
  private count = 0;

  constructor(readonly prefix: string) {}

  get ids(): string[] {
    return [...this.records.keys()];
  }

  /** A new immediate hire: started an hour ago, so the day-one onboarding is due at once. */
  hire(): [string, WorkerRecordInput] {
    const n = this.count++;
    const id = `${this.prefix}-${String(n + 1).padStart(5, '0')}`;
    const engineering = n % 2 === 0;
    const record: WorkerRecordInput = {
      asOf: nextAsOf(),
      givenName: givenNames[n % givenNames.length]!,
      familyName: `Tester${letters(n)}`,
      employeeType: 'employee',
      department: engineering ? ruleGroupDepartment : 'Sales',
      jobTitle: engineering ? 'Engineer' : 'Account Executive',
      timeZone: 'Europe/London',
      hireDate: new Date(Date.now() - 3600_000).toISOString(),
    };
    this.records.set(id, record);
    return [id, record];
  }

  /** A mover: the other department, a new title, the same hire. */
  move(id: string): [string, WorkerRecordInput] {
    const current = this.records.get(id);
    if (!current) throw new Error(`no person ${id} in cohort ${this.prefix}`);
    const toEngineering = current.department !== ruleGroupDepartment;
    const record: WorkerRecordInput = {
      ...current,
      asOf: nextAsOf(),
      department: toEngineering ? ruleGroupDepartment : 'Sales',
      jobTitle: toEngineering ? 'Staff Engineer' : 'Sales Lead',
    };
    this.records.set(id, record);
    this.movers.add(id);
    return [id, record];
  }

  accepted(id: string, record: WorkerRecordInput): void {
    // A slow answer for an older record never overrides a newer one already accepted.
    if ((this.acceptedAsOf.get(id) ?? '') > record.asOf) return;
    this.acceptedAsOf.set(id, record.asOf);
    this.expected.set(id, { department: record.department ?? '', jobTitle: record.jobTitle ?? '' });
  }
}

export class HrClient {
  readonly attempts: Attempt[] = [];
  private turn = 0;

  constructor(
    private readonly apis: () => string[],
    private readonly key: string,
    private readonly cohort: Cohort,
    /** How long one request may take before we give up on it (a stuck request is reported). */
    private readonly requestTimeoutMs = 60_000,
  ) {}

  /** One PUT to the next API process in turn. */
  async put(id: string, record: WorkerRecordInput): Promise<Attempt> {
    const apis = this.apis();
    const api = apis[this.turn++ % apis.length]!;
    const started = Date.now();
    let attempt: Attempt;
    try {
      const res = await fetch(`${api}/v1/workers/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(record),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      const text = await res.text();
      attempt = { employeeId: id, api, status: res.status, ms: Date.now() - started, at: started, retryAfter: res.headers.get('retry-after') ?? undefined };
      if (res.status === 202) attempt.inboxId = (JSON.parse(text) as { inboxId: number }).inboxId;
      else attempt.error = text.slice(0, 300);
    } catch (error) {
      attempt = { employeeId: id, api, status: 'no answer', ms: Date.now() - started, at: started, error: (error as Error).message };
    }
    this.attempts.push(attempt);
    if (attempt.status === 202) this.cohort.accepted(id, record);
    return attempt;
  }

  /** PUTs until the record is accepted, waiting as Retry-After asks (1–5 s), until `deadline`. */
  async deliver(id: string, record: WorkerRecordInput, deadline = Date.now() + 5 * 60_000): Promise<boolean> {
    while (Date.now() < deadline) {
      const attempt = await this.put(id, record);
      if (attempt.status === 202) return true;
      if (typeof attempt.status === 'number' && attempt.status < 500 && attempt.status !== 429) throw new Error(`${id}: ${attempt.status} ${attempt.error}`);
      const asked = Number(attempt.retryAfter);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, Math.max(1000, Number.isFinite(asked) ? asked * 1000 : 1000))));
    }
    return false;
  }

  /** Sends records at `rate` per second (each retried until accepted); answers when all are in. */
  async send(items: [string, WorkerRecordInput][], options: { rate: number; deadline?: number }): Promise<void> {
    const started = Date.now();
    await Promise.all(
      items.map(async ([id, record], i) => {
        const due = started + (i * 1000) / options.rate;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        if (!(await this.deliver(id, record, options.deadline))) throw new Error(`${id} was never accepted`);
      }),
    );
  }
}
