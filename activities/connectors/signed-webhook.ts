import { createHmac, timingSafeEqual } from 'node:crypto';

// Outbound JSON webhooks (HR write-back, custom task extensions), signed so the receiver can
// trust the caller; the same signature scheme checks calls coming back to Tenure.

export interface WebhookSettings {
  url: string;
  secret?: string;
  timeoutMs?: number;
}

export class WebhookError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** `X-Tenure-Signature: sha256=<hex>` over `<timestamp>.<body>`, so a replayed body with a new time fails. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a signature made by `signPayload` in constant time, refusing timestamps older than `maxAgeMs`. */
export function verifySignature(secret: string, timestamp: string | undefined, body: string, signature: string | undefined, now: Date, maxAgeMs = 300_000): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > maxAgeMs) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export async function postWebhook(settings: WebhookSettings, payload: unknown, now: Date): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-tenure-timestamp': timestamp };
  if (settings.secret) headers['x-tenure-signature'] = signPayload(settings.secret, timestamp, body);
  let response: Response;
  try {
    response = await fetch(settings.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(settings.timeoutMs ?? 10_000) });
  } catch (error) {
    throw new WebhookError(`POST ${new URL(settings.url).origin} failed: ${(error as Error).message}`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new WebhookError(`POST ${new URL(settings.url).origin} answered ${response.status}`, response.status);
}
