import type { LoggerOptions } from 'pino';

// How Tenure's processes log: one JSON object per line, so no value can ever start a line of
// its own, and secrets replaced wherever they appear in what is logged.

/** Keys whose values are secrets wherever they turn up: credentials, signatures, passes. */
export const secretLogKeys = [
  'authorization',
  'cookie',
  'x-tenure-signature',
  'password',
  'bindPassword',
  'unicodePwd',
  'secret',
  'token',
  'pass',
  'temporaryAccessPass',
] as const;

/** The same keys at the top level and up to three objects deep (request headers, error causes). */
export const logRedactPaths = secretLogKeys.flatMap((key) => {
  const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const join = (prefix: string) => (segment.startsWith('[') ? `${prefix}${segment}` : `${prefix}.${segment}`);
  return [segment.startsWith('[') ? segment : key, join('*'), join('*.*'), join('*.*.*')];
});

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export function loggerOptions(name: string, level: LogLevel): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: logRedactPaths, censor: '[redacted]' },
    // Level names, not numbers: what people grep for.
    formatters: { level: (label) => ({ level: label }) },
  };
}
