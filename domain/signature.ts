// Signatures on webhooks (HR write-back, custom extensions) and on the calls extensions make
// back: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, so a replayed body with a new
// time fails. Web Crypto, so both the API and the activities use the same code.

const encoder = new TextEncoder();

export async function signPayload(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Same length and every byte compared, whatever differs first. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Checks a signature, refusing timestamps further than `maxAgeMs` from `now`. */
export async function verifySignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  signature: string | undefined,
  now: Date,
  maxAgeMs = 300_000,
): Promise<boolean> {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > maxAgeMs) return false;
  return constantTimeEqual(await signPayload(secret, timestamp, body), signature);
}
