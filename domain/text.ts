import { z } from 'zod';

// What text Tenure takes: names and filters are printable; anything stored is at least storable.

/** Characters that make text read differently from what it holds: controls, bidi and other format marks, broken UTF-16. */
const unprintable = /\p{Cc}|\p{Cf}|\p{Cs}/u;
/** What PostgreSQL cannot keep in text or jsonb: NUL, and UTF-16 halves without their other half. */
const brokenUtf16 = /\p{Cs}/u;

export const isPlainText = (value: string) => !unprintable.test(value);
export const isStorableText = (value: string) => !value.includes('\u0000') && !brokenUtf16.test(value);

export const plainTextMessage = 'must not contain control, bidirectional or other format characters';
export const storableTextMessage = 'must not contain NUL or broken UTF-16';

/** Text without control, bidi or format characters: query values and filters. */
export const plainText = (max: number) => z.string().max(max).refine(isPlainText, { error: plainTextMessage });

/** Free text that is stored as given (messages, templates): any line breaks, but nothing PostgreSQL refuses. */
export const storableText = (max: number) => z.string().max(max).refine(isStorableText, { error: storableTextMessage });

/** Paths of the strings in a JSON value PostgreSQL would refuse, up to `maxDepth` levels down. */
export function unstorableStrings(value: unknown, path: string[] = [], maxDepth = 32): string[] {
  if (typeof value === 'string') return isStorableText(value) ? [] : [path.join('.') || '(body)'];
  if (typeof value !== 'object' || value === null || path.length >= maxDepth) return [];
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  return entries.flatMap(([key, item]) => unstorableStrings(item, [...path, key], maxDepth));
}
