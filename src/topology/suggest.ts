/**
 * "Did you mean" suggestions for typos in keys, roles and names. Only close matches are offered:
 * a wrong guess is worse than none.
 */

const MAX_DISTANCE = 2;

/** Levenshtein distance; inputs here are short keys, so the quadratic table is fine. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidate within distance 2, earliest on ties; undefined when nothing is close. */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(input, candidate);
    // A distance equal to the word's length means "replace everything": not a typo.
    if (d <= MAX_DISTANCE && d < candidate.length && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or `fallback` when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>, fallback = ''): string {
  const match = closestMatch(input, candidates);
  return match !== undefined ? ` (did you mean "${match}"?)` : fallback;
}
