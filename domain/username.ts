// Username candidates from a person's name: readable, ASCII, valid in every directory we feed.

/** Letters that Unicode decomposition does not reduce to ASCII. */
const transliterations: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  ø: 'o',
  œ: 'oe',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ł: 'l',
  ı: 'i',
  ŀ: 'l',
  ħ: 'h',
};

/** Cyrillic and Greek letters in a simple, readable romanisation (Дмитрий → dmitrii, Ελένη → eleni). */
const romanisation: Record<string, string> = Object.fromEntries(
  [
    ...'а:a б:b в:v г:g д:d е:e ё:e ж:zh з:z и:i й:i к:k л:l м:m н:n о:o п:p р:r с:s т:t у:u ф:f х:kh ц:ts ч:ch ш:sh щ:shch ъ: ы:y ь: э:e ю:iu я:ia і:i ї:i є:ie ґ:g ў:u'.split(' '),
    ...'α:a β:v γ:g δ:d ε:e ζ:z η:i θ:th ι:i κ:k λ:l μ:m ν:n ξ:x ο:o π:p ρ:r σ:s ς:s τ:t υ:y φ:f χ:ch ψ:ps ω:o'.split(' '),
  ].map((pair) => pair.split(':') as [string, string]),
);

/** Generational suffixes dropped from family names ("Smith, Jr." → "smith"). */
const suffixes = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'v']);

/**
 * Lowercase ASCII words of a name: diacritics removed, apostrophes dropped (O'Brien → obrien),
 * everything else that is not a letter or digit separates words.
 */
export function nameWords(name: string): string[] {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæøœđðþłıŀħ]/g, (ch) => transliterations[ch] ?? '')
    .replace(/ου/g, 'ou')
    .replace(/[\u0400-\u04ff\u0370-\u03ff]/g, (ch) => romanisation[ch] ?? '')
    .replace(/['’‘`´ʼ]/g, '');
  return ascii.split(/[^a-z0-9]+/).filter(Boolean);
}

function familyWords(name: string): string[] {
  const words = nameWords(name);
  const kept = words.filter((word, i) => i === 0 || !suffixes.has(word));
  return kept;
}

export interface UsernamePolicy {
  /** Patterns tried in order. Tokens: {given} {family} {g} {f} {preferred} {n}. */
  patterns: string[];
  maxLength: number;
  /** Highest numeric suffix tried for a pattern with {n}. */
  maxSuffix: number;
}

export const defaultUsernamePolicy: UsernamePolicy = {
  patterns: ['{given}.{family}', '{g}{family}', '{given}.{family}{n}'],
  maxLength: 32,
  maxSuffix: 99,
};

export interface NameParts {
  givenName: string;
  familyName: string;
  preferredName?: string;
  /** Names in scripts without a romanisation here (Chinese, Arabic, …) fall back to `u<employeeId>`. */
  employeeId?: string;
}

const tokenPattern = /\{(given|family|g|f|preferred|n)\}/g;

export function validatePattern(pattern: string): string | undefined {
  const stripped = pattern.replace(tokenPattern, '');
  if (/[{}]/.test(stripped)) return `unknown token in "${pattern}"; use {given} {family} {g} {f} {preferred} {n}`;
  if (!/\{(given|family|g|f|preferred)\}/.test(pattern)) return `"${pattern}" uses no part of the name`;
  if (/[^a-z0-9._-]/.test(stripped)) return `"${pattern}" has characters other than a-z 0-9 . _ -`;
  return undefined;
}

/** Every candidate, in order, without duplicates; the first free one wins. */
export function usernameCandidates(name: NameParts, policy: UsernamePolicy = defaultUsernamePolicy): string[] {
  const given = nameWords(name.givenName).join('-');
  const family = familyWords(name.familyName).join('-');
  const preferred = (name.preferredName && nameWords(name.preferredName).join('-')) || given;
  const values = { given, family, preferred, g: given.slice(0, 1), f: family.slice(0, 1) };
  const out: string[] = [];
  const push = (candidate: string) => {
    const clean = tidy(candidate, policy.maxLength);
    if (clean && !out.includes(clean)) out.push(clean);
  };
  for (const pattern of policy.patterns) {
    const render = (n: string) =>
      pattern.replace(tokenPattern, (_, token: string) => (token === 'n' ? n : values[token as keyof typeof values]));
    if (pattern.includes('{n}')) {
      for (let n = 2; n <= policy.maxSuffix; n++) push(render(String(n)));
    } else {
      push(render(''));
    }
  }
  if (out.length === 0 && name.employeeId) {
    const id = name.employeeId.toLowerCase().replace(/[^a-z0-9._-]/g, '');
    push(`u${id}`);
    for (let n = 2; n <= policy.maxSuffix && id; n++) push(`u${id}.${n}`);
  }
  return out;
}

/** Trims separators a pattern can leave behind (empty parts) and keeps a numeric suffix within the limit. */
function tidy(candidate: string, maxLength: number): string {
  let value = candidate.replace(/([._-])[._-]+/g, '$1').replace(/^[._\-\d]+|[._-]+$/g, '');
  if (value.length > maxLength) {
    const suffix = /\d+$/.exec(value)?.[0] ?? '';
    value = value.slice(0, maxLength - suffix.length).replace(/[._-]+$/, '') + suffix;
  }
  return /^[a-z][a-z0-9._-]*$/.test(value) ? value : '';
}
