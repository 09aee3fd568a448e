/**
 * WWW-Authenticate parsing (RFC 7235 §4.1; distribution-spec token auth). A header may hold several
 * challenges; parameter values may be quoted and contain commas (`scope="repository:a:pull,push"`).
 */

export interface Challenge {
  scheme: 'basic' | 'bearer' | string;
  params: Record<string, string>;
}

export function parseChallenges(input: string | undefined): Challenge[] {
  if (!input) return [];
  const header = input;
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skip = (chars: string) => { while (i < n && chars.includes(header[i]!)) i++; };
  while (i < n) {
    skip(' ,\t');
    const start = i;
    while (i < n && /[A-Za-z0-9!#$%&'*+.^_`|~-]/.test(header[i]!)) i++;
    if (i === start) { i++; continue; }
    const token = header.slice(start, i);
    skip(' \t');
    if (header[i] === '=' && out.length > 0) {
      // A parameter of the current challenge.
      i++;
      skip(' \t');
      out[out.length - 1]!.params[token.toLowerCase()] = readValue();
    } else {
      out.push({ scheme: token.toLowerCase(), params: {} });
    }
  }
  return out;

  function readValue(): string {
    if (header[i] !== '"') {
      const start = i;
      while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
      return header.slice(start, i);
    }
    i++;
    let value = '';
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      value += header[i++];
    }
    i++;
    return value;
  }
}

/** The challenge regtopo will answer: Bearer preferred over Basic when both are offered. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
