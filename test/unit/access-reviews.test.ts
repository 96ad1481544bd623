import { describe, expect, it } from 'vitest';
import { outcomeOf, passesOn, recommend, refusalOfReviewDecision, reviewersOf, reviewScheduleSpec, stageDurations, upcomingOccurrences, validateReview, type RecommendationInput } from '../../domain/access-reviews';

// Review definitions checked when saved; recurrence, recommendations, the default for items
// nobody decided and what passes from one stage to the next — all pure.

const base = {
  id: 'managers',
  name: 'Manager review',
  scope: { type: 'all-packages' },
  stages: [{ reviewers: [{ type: 'manager' }] }],
  recurrence: { frequency: 'monthly', start: '2026-01-15T09:30:00Z', duration: 'P14D' },
};

describe('validateReview', () => {
  it('fills the defaults: everyone, the midpoint reminder, open mail, no change, auto-apply', () => {
    const result = validateReview(base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.review).toMatchObject({ enabled: true, who: { type: 'everyone' }, reminders: [0.5], openMail: true, noResponse: 'no-change', apply: 'auto', inactiveDays: 30, recurrence: { end: { type: 'never' } } });
    expect(result.review.stages[0]).toMatchObject({ fallback: [], passOn: ['approve'] });
  });

  it('names the path of every problem', () => {
    const result = validateReview({ ...base, id: 'Bad Id', stages: [], recurrence: { frequency: 'fortnightly', start: 'soon', duration: 'P1M' }, noResponse: 'shrug', colour: 'red' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path).sort()).toEqual(['colour', 'id', 'noResponse', 'recurrence.duration', 'recurrence.frequency', 'recurrence.start', 'stages'].sort());
  });

  it('refuses a monthly review starting on the 29th, an occurrence longer than its period, "every" without an interval, and stages longer than the occurrence', () => {
    const problems = (input: unknown) => {
      const result = validateReview(input);
      return result.ok ? [] : result.errors.map((e) => e.path);
    };
    expect(problems({ ...base, recurrence: { ...base.recurrence, start: '2026-01-29T09:00:00Z' } })).toEqual(['recurrence.start']);
    expect(problems({ ...base, recurrence: { frequency: 'weekly', start: base.recurrence.start, duration: 'P8D' } })).toEqual(['recurrence.duration']);
    expect(problems({ ...base, recurrence: { frequency: 'every', start: base.recurrence.start, duration: 'PT5S' } })).toEqual(['recurrence.every']);
    expect(problems({ ...base, recurrence: { ...base.recurrence, end: { type: 'date', date: '2025-01-01T00:00:00Z' } } })).toEqual(['recurrence.end.date']);
    expect(problems({ ...base, stages: [{ reviewers: [{ type: 'self' }], duration: 'P10D' }, { reviewers: [{ type: 'owners' }], duration: 'P10D' }] })).toEqual(['stages']);
    expect(problems({ ...base, recurrence: { frequency: 'every', every: 'PT20S', start: base.recurrence.start, duration: 'PT0.5S' } })).toEqual(['recurrence.duration']);
  });
});

describe('recurrence', () => {
  const recurrence = (r: Record<string, unknown>) => {
    const result = validateReview({ ...base, recurrence: { start: '2026-01-15T09:30:00Z', duration: 'P1D', ...r } });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.review.recurrence;
  };
  const iso = (ms: number[]) => ms.map((m) => new Date(m).toISOString().slice(0, 10));

  it('counts occurrences from the start, by calendar months, within the end', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'monthly' }), from, 3))).toEqual(['2026-01-15', '2026-02-15', '2026-03-15']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'quarterly' }), from, 3))).toEqual(['2026-01-15', '2026-04-15', '2026-07-15']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'semi-annually' }), from, 2))).toEqual(['2026-01-15', '2026-07-15']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'annually' }), from, 2))).toEqual(['2026-01-15', '2027-01-15']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'weekly' }), from, 2))).toEqual(['2026-01-15', '2026-01-22']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'once' }), from, 3))).toEqual(['2026-01-15']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'monthly', end: { type: 'after', occurrences: 2 } }), from, 5))).toEqual(['2026-01-15', '2026-02-15']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'monthly', end: { type: 'date', date: '2026-03-01T00:00:00Z' } }), from, 5))).toEqual(['2026-01-15', '2026-02-15']);
    expect(iso(upcomingOccurrences(recurrence({ frequency: 'monthly' }), Date.parse('2026-02-16T00:00:00Z'), 1))).toEqual(['2026-03-15']);
    expect(upcomingOccurrences(recurrence({ frequency: 'every', every: 'PT30S', duration: 'PT10S' }), from, 2).map((m) => m - Date.parse('2026-01-15T09:30:00Z'))).toEqual([0, 30_000]);
  });

  it('turns a recurrence into the calendar a Temporal Schedule fires on', () => {
    expect(reviewScheduleSpec(recurrence({ frequency: 'quarterly', start: '2026-11-03T08:00:05Z' }))).toEqual({ startAt: Date.parse('2026-11-03T08:00:05Z'), endAt: undefined, remaining: undefined, calendar: { second: 5, minute: 0, hour: 8, dayOfMonth: 3, months: [2, 5, 8, 11] } });
    // 2026-01-15 is a Thursday.
    expect(reviewScheduleSpec(recurrence({ frequency: 'weekly' })).calendar).toEqual({ second: 0, minute: 30, hour: 9, dayOfWeek: 4 });
    expect(reviewScheduleSpec(recurrence({ frequency: 'once' }))).toMatchObject({ remaining: 1, calendar: { year: 2026, months: [1], dayOfMonth: 15 } });
    expect(reviewScheduleSpec(recurrence({ frequency: 'monthly', end: { type: 'after', occurrences: 6 } })).remaining).toBe(6);
    expect(reviewScheduleSpec(recurrence({ frequency: 'every', every: 'PT20S', duration: 'PT10S' })).interval).toEqual({ everyMs: 20_000, offsetMs: Date.parse('2026-01-15T09:30:00Z') % 20_000 });
  });

  it('shares the occurrence among the stages that give no duration of their own', () => {
    const result = validateReview({ ...base, recurrence: { ...base.recurrence, duration: 'PT30S' }, stages: [{ reviewers: [{ type: 'manager' }], duration: 'PT10S' }, { reviewers: [{ type: 'owners' }] }, { reviewers: [{ type: 'self' }] }] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(stageDurations(result.review)).toEqual([10_000, 10_000, 10_000]);
  });
});

describe('reviewersOf', () => {
  const active = new Set(['M1', 'O1', 'O2', 'F1']);
  const context = { owners: ['O1', 'O2'], isActive: (id: string) => active.has(id) };
  const subject = { employeeId: 'E1', active: true, managerEmployeeId: 'M1' };

  it('answers the manager, the owners, the person for a self-review, never the person otherwise', () => {
    expect(reviewersOf({ reviewers: [{ type: 'manager' }], fallback: [] }, subject, context)).toEqual(['M1']);
    expect(reviewersOf({ reviewers: [{ type: 'owners' }], fallback: [] }, subject, context)).toEqual(['O1', 'O2']);
    expect(reviewersOf({ reviewers: [{ type: 'self' }], fallback: [] }, subject, context)).toEqual(['E1']);
    expect(reviewersOf({ reviewers: [{ type: 'people', employeeIds: ['E1', 'F1'] }], fallback: [] }, subject, context)).toEqual(['F1']);
  });

  it('falls back when the reviewers are missing: no manager, or a manager who left', () => {
    const fallback = [{ type: 'people' as const, employeeIds: ['F1'] }];
    expect(reviewersOf({ reviewers: [{ type: 'manager' }], fallback }, { ...subject, managerEmployeeId: undefined }, context)).toEqual(['F1']);
    expect(reviewersOf({ reviewers: [{ type: 'manager' }], fallback }, { ...subject, managerEmployeeId: 'GONE' }, context)).toEqual(['F1']);
    expect(reviewersOf({ reviewers: [{ type: 'manager' }], fallback: [] }, { ...subject, managerEmployeeId: 'GONE' }, context)).toEqual([]);
  });
});

describe('recommend', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const input = (overrides: Partial<RecommendationInput> = {}): RecommendationInput => ({
    person: { state: 'active', employeeType: 'employee', department: 'Sales', jobTitle: 'Rep', lastSignIn: now - 86_400_000 },
    grantedWith: { department: 'Sales', jobTitle: 'Rep' },
    assignment: { source: 'request', status: 'active' },
    reviewEndsAt: now + 14 * 86_400_000,
    inactiveDays: 30,
    now,
    ...overrides,
  });

  it('approves when nothing speaks against the access', () => {
    expect(recommend(input())).toEqual({ recommendation: 'approve', reason: 'nothing suggests removing it' });
  });

  it('denies with the reason: left, leaving before the end, sponsor gone, rule no longer matching, moved, inactive', () => {
    const reason = (overrides: Partial<RecommendationInput>) => recommend(input(overrides)).reason;
    expect(reason({ person: { ...input().person, state: 'terminated' } })).toBe('the person has left (terminated)');
    expect(reason({ person: { ...input().person, leaveAt: now + 86_400_000 } })).toBe('the person leaves on 2026-06-02, before the review ends');
    expect(reason({ person: { ...input().person, employeeType: 'guest', sponsorLeft: true } })).toBe('a guest whose sponsor has left');
    expect(reason({ assignment: { source: 'auto', status: 'grace' } })).toBe("the person no longer matches the package's automatic rule");
    expect(reason({ person: { ...input().person, department: 'Engineering' } })).toBe('moved from department Sales to Engineering since the access was granted');
    expect(reason({ person: { ...input().person, jobTitle: 'Lead' } })).toBe('moved from job Rep to Lead since the access was granted');
    expect(reason({ person: { ...input().person, lastSignIn: now - 45 * 86_400_000 } })).toBe('no sign-in for 45 days (since 2026-04-17)');
    expect(recommend(input({ person: { ...input().person, leaveAt: now + 30 * 86_400_000 } })).recommendation).toBe('approve');
  });
});

describe('outcomes and stages', () => {
  it('keeps a reviewer’s approve or deny, and applies the default to no answer or "don’t know"', () => {
    expect(outcomeOf('deny', 'approve', 'approve')).toEqual({ outcome: 'deny', by: 'reviewer' });
    expect(outcomeOf('approve', 'deny', 'remove')).toEqual({ outcome: 'approve', by: 'reviewer' });
    expect(outcomeOf('none', 'deny', 'no-change')).toEqual({ outcome: 'none', by: 'default' });
    expect(outcomeOf('none', 'approve', 'remove')).toEqual({ outcome: 'deny', by: 'default' });
    expect(outcomeOf('dont-know', 'deny', 'approve')).toEqual({ outcome: 'approve', by: 'default' });
    expect(outcomeOf('none', 'deny', 'recommendation')).toEqual({ outcome: 'deny', by: 'default' });
    expect(outcomeOf('none', 'approve', 'recommendation')).toEqual({ outcome: 'approve', by: 'default' });
  });

  it('passes on only the chosen answers, and nothing from the last stage', () => {
    expect(passesOn({ passOn: ['approve'] }, 'approve', false)).toBe(true);
    expect(passesOn({ passOn: ['approve'] }, 'deny', false)).toBe(false);
    expect(passesOn({ passOn: ['approve', 'none'] }, 'none', false)).toBe(true);
    expect(passesOn({ passOn: ['approve'] }, 'approve', true)).toBe(false);
  });

  it('refuses a decision from anyone but the item’s reviewer, and after the stage', () => {
    const item = { id: 7, reviewers: ['M1'] };
    expect(refusalOfReviewDecision(item, 'M1', true)).toBeUndefined();
    expect(refusalOfReviewDecision(item, 'M2', true)).toBe('M2 is not a reviewer of item 7');
    expect(refusalOfReviewDecision(undefined, 'M1', true)).toBe('no such item in this campaign stage');
    expect(refusalOfReviewDecision(item, 'M1', false)).toBe('the stage has ended: decisions can no longer change');
  });
});
