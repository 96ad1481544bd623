import { signPayload } from '../../domain/signature';

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

export async function postWebhook(settings: WebhookSettings, payload: unknown, now: Date): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-tenure-timestamp': timestamp };
  if (settings.secret) headers['x-tenure-signature'] = await signPayload(settings.secret, timestamp, body);
  let response: Response;
  try {
    response = await fetch(settings.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(settings.timeoutMs ?? 10_000) });
  } catch (error) {
    throw new WebhookError(`POST ${new URL(settings.url).origin} failed: ${(error as Error).message}`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new WebhookError(`POST ${new URL(settings.url).origin} answered ${response.status}`, response.status);
}

/** A 4xx other than a timeout or throttling: the endpoint refuses this call, and retrying will not help. */
export function isRefusal(error: unknown): boolean {
  const status = error instanceof WebhookError ? error.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
