import { describe, expect, it } from 'vitest';
import { defaultBreakerPolicy, nextProbeDelayMs, opensBreaker } from '../../domain/breaker';

const policy = defaultBreakerPolicy;

describe('opening the breaker', () => {
  it('counts failures over time: a hundred at the same instant are one event', () => {
    expect(opensBreaker({ since: 0, failures: 100 }, 0, policy)).toBe(false);
    expect(opensBreaker({ since: 0, failures: 100 }, policy.openAfterMs - 1, policy)).toBe(false);
    expect(opensBreaker({ since: 0, failures: 100 }, policy.openAfterMs, policy)).toBe(true);
  });

  it('needs a few failures, however long the first one is ago', () => {
    expect(opensBreaker({ since: 0, failures: policy.minFailures - 1 }, 10 * policy.openAfterMs, policy)).toBe(false);
    expect(opensBreaker({ since: 0, failures: policy.minFailures }, 10 * policy.openAfterMs, policy)).toBe(true);
  });
});

describe('probing', () => {
  it('probes an open breaker within 30 s, then half as long again each time, up to the cap', () => {
    const delays = Array.from({ length: 10 }, (_, i) => nextProbeDelayMs('open', i, policy));
    expect(delays[0]).toBeLessThanOrEqual(30_000);
    expect(delays.slice(0, 4)).toEqual([10_000, 15_000, 22_500, 33_750]);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(Math.max(...delays)).toBe(policy.maxProbeIntervalMs);
  });

  it('tries a quarantined target again after the quarantine interval, failed probes or not', () => {
    expect(nextProbeDelayMs('quarantined', 0, policy)).toBe(3_600_000);
    expect(nextProbeDelayMs('quarantined', 7, policy)).toBe(3_600_000);
  });
});
