import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../../domain/logging';

// Logs are JSON lines: a value can never become a line of its own, and secrets never appear.

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino(loggerOptions('api', 'info'), stream), lines };
}

describe('loggerOptions', () => {
  it('keeps CR, LF and forged prefixes inside one JSON line', () => {
    const { log, lines } = capture();
    const forged = '/v1/lifecycle-runs/\u0000\r\n[api] FORGED-LINE admin logged in/resume';
    log.warn({ path: forged }, 'request refused\r\n[api] another forged line');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'warn', name: 'api', path: forged, msg: 'request refused\r\n[api] another forged line' });
  });

  it('replaces secrets wherever they sit: headers, configuration, errors', () => {
    const { log, lines } = capture();
    const error = Object.assign(new Error('bind failed'), { bindPassword: 'ldap-secret' });
    log.error(
      {
        headers: { authorization: 'Bearer tnr_0123456789ab_secret', 'x-tenure-signature': 'sha256=abc' },
        target: { auth: { token: 'scim-token' }, config: { password: 'sql-password' } },
        extension: { secret: 'extension-secret' },
        pass: 'ABCD-EFGH',
        temporaryAccessPass: 'ABCD-EFGH',
        err: error,
      },
      'failed',
    );
    const text = lines.join('\n');
    for (const secret of ['tnr_0123456789ab_secret', 'sha256=abc', 'scim-token', 'sql-password', 'extension-secret', 'ABCD-EFGH', 'ldap-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ headers: { authorization: '[redacted]' }, err: { message: 'bind failed', bindPassword: '[redacted]' } });
  });
});
