// Escaping for values placed into LDAP distinguished names (RFC 4514) and search filters
// (RFC 4515). Every value that came from a person goes through one of these.

/** Escapes an attribute value for use inside an RDN, e.g. `uid=${escapeDnValue(v)}`. */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const code = ch.charCodeAt(0);
    if (code === 0) {
      out += '\\00';
    } else if ('"+,;<>\\='.includes(ch)) {
      out += `\\${ch}`;
    } else if ((ch === ' ' && (i === 0 || i === value.length - 1)) || (ch === '#' && i === 0)) {
      out += `\\${ch}`;
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\${code.toString(16).padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Escapes an assertion value for a search filter, e.g. `(uid=${escapeFilterValue(v)})`.
 * Non-ASCII characters stay as they are (RFC 4515 allows UTF-8): ldapts decodes each `\xx`
 * as one character, so escaping the bytes of "ö" would search for "Ã¶".
 */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    out += code < 0x20 || code === 0x7f || '*()\\'.includes(ch) ? `\\${code.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}
