import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../domain/lifecycle-workflows';
import { taskPollDelayMs } from '../../domain/task-waits';

describe('taskPollDelayMs', () => {
  it('asks again within seconds at first, so a target that is back is noticed quickly', () => {
    expect([0, 1, 2, 3].map((polls) => taskPollDelayMs(polls * 5_000, polls))).toEqual([5_000, 10_000, 15_000, 15_000]);
  });

  it('asks a minute apart after half an hour and five minutes apart after two hours', () => {
    expect(taskPollDelayMs(31 * 60_000, 100)).toBe(60_000);
    expect(taskPollDelayMs(2 * 3600_000 + 1, 200)).toBe(300_000);
  });

  it('keeps a twelve-hour wait to a few hundred polls', () => {
    let waited = 0;
    let polls = 0;
    while (waited < 12 * 3600_000) waited += taskPollDelayMs(waited, polls++);
    expect(polls).toBeLessThan(400);
  });
});

describe('maxWait', () => {
  const definition = (task: Record<string, unknown>) => ({ id: 'w', name: 'W', category: 'joiner', trigger: { type: 'on-demand' }, tasks: [{ type: 'send-welcome-email', ...task }] });

  it('defaults to twelve hours and takes an ISO 8601 duration', () => {
    const parsed = validateDefinition(definition({ maxWait: 'PT30M' }), { extensions: [] });
    expect(parsed.ok && parsed.definition.tasks[0]!.maxWait).toBe('PT30M');
    const defaulted = validateDefinition(definition({}), { extensions: [] });
    expect(defaulted.ok && defaulted.definition.tasks[0]!.maxWait).toBe('PT12H');
  });

  it('refuses what is not a duration, naming the task', () => {
    const parsed = validateDefinition(definition({ maxWait: 'soon' }), { extensions: [] });
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.path)).toEqual(['tasks.0.maxWait']);
  });
});
