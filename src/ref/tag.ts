/**
 * The tag grammar of the distribution spec (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`), in one place. Tags
 * that come from a registry (tag lists, referrers, records) are untrusted input: they must pass this
 * check before they are put into a request path, or `x/../../secret` becomes a URL.
 */

export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const MAX_TAG_LENGTH = 128;

export function isTag(value: unknown): value is string {
  return typeof value === 'string' && TAG_PATTERN.test(value);
}
