import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature } from '../../domain/signature';

const secret = 'whsec_5mJ2nQ8rT1vX4zB7';
const now = new Date('2026-03-02T09:00:00Z');
const timestamp = String(now.getTime() / 1000);
const body = JSON.stringify({ employeeId: 'E1001', event: 'lifecycle.task', displayName: 'Zoë Ångström' });

/** The reference: HMAC-SHA256 over "<timestamp>.<body>" with node:crypto. */
const reference = (key: string, ts: string, payload: string) => `sha256=${createHmac('sha256', key).update(`${ts}.${payload}`).digest('hex')}`;

const secondsLater = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('signPayload', () => {
  it.each([
    ['a JSON body with non-ASCII text', secret, timestamp, body],
    ['an empty body', secret, timestamp, ''],
    ['a body with dots and newlines', 'k', '0', 'a.b\nc.d'],
    ['a long secret', 'x'.repeat(200), '1772442000', body],
  ])('matches node:crypto for %s', async (_what, key, ts, payload) => {
    expect(await signPayload(key, ts, payload)).toBe(reference(key, ts, payload));
  });

  it('is sha256= and 64 lowercase hex digits', async () => {
    expect(await signPayload(secret, timestamp, body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('signs the timestamp, so the same body at another time has another signature', async () => {
    expect(await signPayload(secret, timestamp, body)).not.toBe(await signPayload(secret, String(Number(timestamp) + 1), body));
  });
});

describe('verifySignature', () => {
  const good = () => signPayload(secret, timestamp, body);

  it('accepts a good signature', async () => {
    expect(await verifySignature(secret, timestamp, body, await good(), now)).toBe(true);
  });

  it('accepts a good signature made with node:crypto', async () => {
    expect(await verifySignature(secret, timestamp, body, reference(secret, timestamp, body), now)).toBe(true);
  });

  it('refuses a changed body', async () => {
    expect(await verifySignature(secret, timestamp, body.replace('E1001', 'E1002'), await good(), now)).toBe(false);
    expect(await verifySignature(secret, timestamp, `${body} `, await good(), now)).toBe(false);
  });

  it('refuses a wrong secret', async () => {
    expect(await verifySignature('whsec_other', timestamp, body, await good(), now)).toBe(false);
  });

  it('refuses a signature made for another timestamp', async () => {
    const other = String(Number(timestamp) - 60);
    expect(await verifySignature(secret, other, body, await good(), now)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without its prefix', reference(secret, timestamp, body).slice('sha256='.length)],
    ['in capitals', reference(secret, timestamp, body).toUpperCase()],
    ['truncated', reference(secret, timestamp, body).slice(0, -1)],
    ['with one digit changed', reference(secret, timestamp, body).replace(/.$/, (d) => (d === '0' ? '1' : '0'))],
  ])('refuses a signature header that is %s', async (_what, signature) => {
    expect(await verifySignature(secret, timestamp, body, signature, now)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a number', 'yesterday'],
    ['a decimal', `${timestamp}.5`],
    ['negative', `-${timestamp}`],
    ['in milliseconds', String(now.getTime())],
    ['an ISO date', now.toISOString()],
    ['padded with spaces', ` ${timestamp}`],
  ])('refuses a timestamp that is %s, even when signed', async (_what, ts) => {
    const signature = await signPayload(secret, ts ?? '', body);
    expect(await verifySignature(secret, ts, body, signature, now)).toBe(false);
  });

  it('accepts a timestamp up to five minutes old by default', async () => {
    const signature = await good();
    expect(await verifySignature(secret, timestamp, body, signature, secondsLater(299))).toBe(true);
    expect(await verifySignature(secret, timestamp, body, signature, secondsLater(300))).toBe(true);
  });

  it('refuses a timestamp older than five minutes by default', async () => {
    const signature = await good();
    expect(await verifySignature(secret, timestamp, body, signature, new Date(now.getTime() + 300_001))).toBe(false);
    expect(await verifySignature(secret, timestamp, body, signature, secondsLater(3600))).toBe(false);
  });

  it('refuses a timestamp older than a given maxAgeMs', async () => {
    const signature = await good();
    expect(await verifySignature(secret, timestamp, body, signature, secondsLater(59), 60_000)).toBe(true);
    expect(await verifySignature(secret, timestamp, body, signature, secondsLater(61), 60_000)).toBe(false);
  });

  it('refuses a timestamp too far in the future', async () => {
    const signature = await good();
    expect(await verifySignature(secret, timestamp, body, signature, secondsLater(-299))).toBe(true);
    expect(await verifySignature(secret, timestamp, body, signature, secondsLater(-301))).toBe(false);
  });
});
